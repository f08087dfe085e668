// Package enable switches a Calico cluster to the eBPF dataplane and back, as a plan:
// Observe reads everything the plan depends on into a State, BuildPlan (pure) turns the State
// into ordered Steps, each with its object, its JSON merge patch built from Go values and why,
// and Execute runs them, skipping steps that are already satisfied, so that running it again
// after an interruption continues where the last run stopped.
//
// Every object enable patches records, in the same request, the merge patch that restores the
// fields it changed (annotation RestoreAnnotation); disable applies that record, so it puts
// back exactly what was there, including fields that were absent.
package enable
