// Package kube is the plugin's Kubernetes I/O: clients built from kubectl's flags, pod exec as
// kubectl does it, and calico-node pod discovery. It knows nothing of Calico's output formats;
// callers pass in what to run and read what comes back.
package kube
