package kube

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	httpstreamspdy "k8s.io/apimachinery/pkg/util/httpstream/spdy"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/client-go/transport"
	"k8s.io/client-go/transport/websocket"
	"k8s.io/streaming/pkg/httpstream"
)

// execDialer holds what every exec of a run shares. client-go builds a fresh TLS config for
// each executor (and kubectl's builds two, WebSocket and SPDY), so every exec paid for
// loading the client key and for a full TLS handshake. Exec cannot share connections (each is
// an HTTP/1.1 upgrade), but with one TLS config and one session cache the connections after
// the first resume the TLS session: no certificate signing or chain verification on either
// side, which was most of the client's and a large part of the API server's CPU per node.
type execDialer struct {
	transport *transport.Config
	tls       *tls.Config
	// The two proxy functions client-go uses: WebSocket honours NO_PROXY CIDRs, SPDY does not.
	wsProxy, spdyProxy func(*http.Request) (*url.URL, error)
	// first is closed once the run's first connection is up (or failed). The execs that
	// start beside it wait for it: its TLS session is what they resume, and without the wait
	// all of the first --parallel connections would make full handshakes.
	first  chan struct{}
	leader atomic.Bool
}

// sessionCacheSize bounds the TLS sessions kept; a run talks to one API server.
const sessionCacheSize = 64

func newExecDialer(cfg *rest.Config) (*execDialer, error) {
	tc, err := cfg.TransportConfig()
	if err != nil {
		return nil, err
	}
	tlsCfg, err := transport.TLSConfigFor(tc)
	if err != nil {
		return nil, err
	}
	if tlsCfg == nil {
		// No TLS options: client-go dials with the defaults, which an empty config equals.
		tlsCfg = &tls.Config{}
	}
	// A resumed session keeps the identity of the full handshake, as a pooled HTTP/2
	// connection does: a client certificate rotated during the run is used from the next run.
	tlsCfg.ClientSessionCache = tls.NewLRUClientSessionCache(sessionCacheSize)
	d := &execDialer{transport: tc, tls: tlsCfg, wsProxy: cfg.Proxy, spdyProxy: cfg.Proxy, first: make(chan struct{})}
	if d.wsProxy == nil {
		d.wsProxy = utilnet.NewProxierWithNoProxyCIDR(http.ProxyFromEnvironment)
	}
	if d.spdyProxy == nil {
		d.spdyProxy = http.ProxyFromEnvironment
	}
	return d, nil
}

// websocketsDisabled is kubectl's switch back to SPDY (KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false).
func websocketsDisabled() bool {
	return strings.EqualFold(os.Getenv("KUBECTL_REMOTE_COMMAND_WEBSOCKETS"), "false")
}

// shouldFallBack is kubectl's rule for retrying an exec over SPDY: the WebSocket upgrade was
// refused, or a proxy could not carry it.
func shouldFallBack(err error) bool {
	return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
}

// websocket runs the exec over a WebSocket (the v5 channel protocol).
func (d *execDialer) websocket(ctx context.Context, u *url.URL, opts remotecommand.StreamOptions) error {
	// The upgrading round tripper keeps its connection: one per exec.
	rt := &websocket.RoundTripper{TLSConfig: d.tls, Proxier: d.wsProxy}
	wrapped, err := transport.HTTPWrappersForConfig(d.transport, rt)
	if err != nil {
		return fmt.Errorf("error creating websocket transports: %w", err)
	}
	wrapped = d.afterFirst(wrapped)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil) // RFC 6455 §4.1
	if err != nil {
		return err
	}
	conn, err := websocket.Negotiate(wrapped, rt, req, v5Protocol)
	if err != nil {
		return err
	}
	return streamWebSocket(ctx, conn, opts.Stdout, opts.Stderr)
}

// spdy runs the exec over SPDY with client-go's executor, on the shared TLS config.
func (d *execDialer) spdy(ctx context.Context, u *url.URL, opts remotecommand.StreamOptions) error {
	rt, err := httpstreamspdy.NewRoundTripperWithConfig(httpstreamspdy.RoundTripperConfig{
		TLS: d.tls, Proxier: d.spdyProxy, PingPeriod: 5 * time.Second,
	})
	if err != nil {
		return err
	}
	wrapped, err := transport.HTTPWrappersForConfig(d.transport, rt)
	if err != nil {
		return err
	}
	wrapped = d.afterFirst(wrapped)
	exec, err := remotecommand.NewSPDYExecutorForTransports(wrapped, rt, http.MethodPost, u)
	if err != nil {
		return err
	}
	return exec.StreamWithContext(ctx, opts)
}

// afterFirst makes rt's connection wait for the run's first one to be up: the upgrade's
// round trip returns once the TLS session ticket has come (it precedes the response).
func (d *execDialer) afterFirst(rt http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		if !d.leader.CompareAndSwap(false, true) {
			select {
			case <-d.first:
			case <-req.Context().Done():
				return nil, req.Context().Err()
			}
			return rt.RoundTrip(req)
		}
		defer close(d.first)
		return rt.RoundTrip(req)
	})
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// dialerOnce builds the shared dialer on first use.
type dialerOnce struct {
	once sync.Once
	d    *execDialer
	err  error
}

func (o *dialerOnce) get(cfg *rest.Config) (*execDialer, error) {
	o.once.Do(func() { o.d, o.err = newExecDialer(cfg) })
	return o.d, o.err
}
