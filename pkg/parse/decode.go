package parse

import (
	"fmt"
	"io"

	"github.com/calico-ebpf/kubectl-calico-ebpf/pkg/model"
)

// Decoder is the signature every kind's decoder has.
type Decoder[T any] func(r io.Reader, opts Options, fn func(T) error) (Report, error)

// Decode runs the decoder of kind and passes each row to fn as a value of
// the kind's model type (model.Route, model.NATEntry, …; see RowType).
func Decode(kind Kind, r io.Reader, opts Options, fn func(row any) error) (Report, error) {
	switch kind {
	case KindRoutes:
		return Routes(r, opts, anyFn[model.Route](fn))
	case KindNAT:
		return NAT(r, opts, anyFn[model.NATEntry](fn))
	case KindNATAffinity:
		return NATAffinity(r, opts, anyFn[model.NATAffinity](fn))
	case KindMaglev:
		return Maglev(r, opts, anyFn[model.MaglevEntry](fn))
	case KindIPSets:
		return IPSets(r, opts, anyFn[model.IPSet](fn))
	case KindConntrack:
		return Conntrack(r, opts, anyFn[model.ConntrackEntry](fn))
	case KindConntrackStats:
		return ConntrackStats(r, opts, anyFn[model.ConntrackStats](fn))
	case KindARP:
		return ARP(r, opts, anyFn[model.ARPEntry](fn))
	case KindCounters:
		return Counters(r, opts, anyFn[model.InterfaceCounters](fn))
	case KindIfState:
		return IfState(r, opts, anyFn[model.IfState](fn))
	case KindQdisc:
		return Qdiscs(r, opts, anyFn[model.Qdisc](fn))
	case KindFilter:
		return Filters(r, opts, anyFn[model.TCFilter](fn))
	case KindFelixLog:
		return FelixLog(r, opts, anyFn[model.FelixLogFact](fn))
	case KindTrace:
		return Trace(r, opts, anyFn[model.TraceEvent](fn))
	}
	return Report{Kind: kind}, fmt.Errorf("parse %v: unknown kind", kind)
}

func anyFn[T any](fn func(any) error) func(T) error {
	return func(row T) error { return fn(row) }
}

// RowType returns a zero row of the kind's model type, for callers that
// need the type before decoding (for example to pick table columns).
func RowType(kind Kind) any {
	switch kind {
	case KindRoutes:
		return model.Route{}
	case KindNAT:
		return model.NATEntry{}
	case KindNATAffinity:
		return model.NATAffinity{}
	case KindMaglev:
		return model.MaglevEntry{}
	case KindIPSets:
		return model.IPSet{}
	case KindConntrack:
		return model.ConntrackEntry{}
	case KindConntrackStats:
		return model.ConntrackStats{}
	case KindARP:
		return model.ARPEntry{}
	case KindCounters:
		return model.InterfaceCounters{}
	case KindIfState:
		return model.IfState{}
	case KindQdisc:
		return model.Qdisc{}
	case KindFilter:
		return model.TCFilter{}
	case KindFelixLog:
		return model.FelixLogFact{}
	case KindTrace:
		return model.TraceEvent{}
	}
	return nil
}

// Collect runs a decoder and returns all rows. Only for inputs known to be
// small: it holds every row in memory.
func Collect[T any](dec Decoder[T], r io.Reader, opts Options) ([]T, Report, error) {
	var rows []T
	rep, err := dec(r, opts, func(row T) error {
		rows = append(rows, row)
		return nil
	})
	return rows, rep, err
}
