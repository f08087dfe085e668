// Package output renders results as kubectl does: a plain table (and a wide one with more
// columns), JSON or YAML. It is the only package that imports tablewriter; commands hand it
// headers and rows, or a value to encode.
package output
