// Package output renders results as kubectl does: a plain table (and a wide one with more
// columns), JSON or YAML. It is the only package that imports tablewriter; commands hand it
// headers and rows, or a value to encode.
//
// Dumps (routes, NAT, conntrack, …) go through a ListPrinter: the command adds one Item per
// model row as the decoder produces it, then closes the printer with the warnings. Each kind
// has a View (RouteView, NATView, …): pure functions from a model row to table cells, for
// table and wide. JSON and YAML print one {"kind", "items", "warnings"} document whose items
// are the model rows with their own (Calico --json) field names; an Item's node and extra
// fields are added beside them. NewNATExplainPrinter reads NAT frontends in plain words.
package output
