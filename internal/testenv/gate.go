package testenv

import (
	"io"
	"net"
	"sync"
)

// Gate is a TCP forwarder that tests open and close to simulate a server going down (e.g.
// SMTP): closed, it drops new and current connections; open, it forwards to the target.
type Gate struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	open  bool
	conns map[net.Conn]struct{}
}

// NewGate listens on a free port of 127.0.0.1 and forwards to target; it starts open.
func NewGate(target string) (*Gate, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	g := &Gate{ln: ln, target: target, open: true, conns: map[net.Conn]struct{}{}}
	go g.accept()
	return g, nil
}

// Port is the port to connect to.
func (g *Gate) Port() int { return g.ln.Addr().(*net.TCPAddr).Port }

// SetOpen opens or closes the gate; closing drops the connections in flight.
func (g *Gate) SetOpen(open bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.open = open
	if !open {
		for c := range g.conns {
			_ = c.Close()
		}
	}
}

// Close stops the gate.
func (g *Gate) Close() { _ = g.ln.Close(); g.SetOpen(false) }

func (g *Gate) track(c net.Conn) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.open {
		return false
	}
	g.conns[c] = struct{}{}
	return true
}

func (g *Gate) untrack(c net.Conn) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.conns, c)
	_ = c.Close()
}

func (g *Gate) accept() {
	for {
		c, err := g.ln.Accept()
		if err != nil {
			return
		}
		if !g.track(c) {
			_ = c.Close()
			continue
		}
		go g.forward(c)
	}
}

func (g *Gate) forward(c net.Conn) {
	defer g.untrack(c)
	up, err := net.Dial("tcp", g.target)
	if err != nil {
		return
	}
	if !g.track(up) {
		_ = up.Close()
		return
	}
	defer g.untrack(up)
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done
}
