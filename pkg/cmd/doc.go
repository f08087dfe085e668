// Package cmd wires the plugin's cobra commands. Each command keeps the kubectl shape:
// XOptions (flags and IOStreams), NewCmdX, Complete, Validate and Run(ctx). It holds no
// logic of its own beyond turning flags into typed configuration and results into output.
package cmd
