package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// ControlFile is where, inside its data directory, the broker writes the
// address of its control endpoint.
const ControlFile = "control"

// controlInfo is what GET / answers: which broker this is.
type controlInfo struct {
	Broker string `json:"broker"` // host:port clients connect to
}

// Serve serves in on a free loopback port until ctx ends, and writes that
// address into dataDir/control for the fault commands; the file is removed
// when ctx ends. Only this machine can reach it.
func Serve(ctx context.Context, in *Injector, brokerAddr, dataDir string) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("control endpoint: %w", err)
	}
	path := filepath.Join(dataDir, ControlFile)
	if err := os.WriteFile(path, []byte("http://"+ln.Addr().String()+"\n"), 0o644); err != nil {
		ln.Close()
		return fmt.Errorf("control endpoint: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(controlInfo{Broker: brokerAddr})
	})
	mux.HandleFunc("GET /faults", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(in.List())
	})
	mux.HandleFunc("POST /faults", func(w http.ResponseWriter, r *http.Request) {
		var s Spec
		if err := json.NewDecoder(r.Body).Decode(&s); err != nil {
			http.Error(w, "bad fault: "+err.Error(), http.StatusBadRequest)
			return
		}
		if err := s.Check(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		_ = json.NewEncoder(w).Encode(in.Add(s))
	})
	mux.HandleFunc("DELETE /faults", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(in.Clear())
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		os.Remove(path)
		srv.Close()
	}()
	go srv.Serve(ln)
	return nil
}

// Client talks to a running broker's control endpoint.
type Client struct {
	base string
	http *http.Client
}

// ErrNoBroker means no embedded broker with that data directory is running.
var ErrNoBroker = errors.New("no embedded broker running")

// Find finds the control endpoint of the embedded broker that keeps its state
// in dataDir and checks that it is the broker at brokers.
func Find(dataDir string, brokers []string) (*Client, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, ControlFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w with BROKER_DATA=%s (no %s file there). "+
			"Faults are a feature of the embedded broker; Apache Kafka cannot be told to fail commits", ErrNoBroker, dataDir, ControlFile)
	}
	if err != nil {
		return nil, err
	}
	c := &Client{base: strings.TrimSpace(string(b)), http: &http.Client{Timeout: 5 * time.Second}}
	var info controlInfo
	if err := c.do(http.MethodGet, "/", nil, &info); err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("%w with BROKER_DATA=%s: its control endpoint %s refuses connections (the broker was killed?)", ErrNoBroker, dataDir, c.base)
		}
		return nil, err
	}
	for _, b := range brokers {
		if b == info.Broker {
			return c, nil
		}
	}
	return nil, fmt.Errorf("the embedded broker with BROKER_DATA=%s listens on %s, not on BROKERS=%s: set BROKER_DATA to the data directory of the broker at BROKERS",
		dataDir, info.Broker, strings.Join(brokers, ","))
}

// Add installs a fault.
func (c *Client) Add(s Spec) (Status, error) {
	var st Status
	return st, c.do(http.MethodPost, "/faults", s, &st)
}

// Clear removes every active fault and says how many there were.
func (c *Client) Clear() (int, error) {
	var n int
	return n, c.do(http.MethodDelete, "/faults", nil, &n)
}

// List is every fault added since the broker started.
func (c *Client) List() ([]Status, error) {
	var ss []Status
	return ss, c.do(http.MethodGet, "/faults", nil, &ss)
}

func (c *Client) do(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("control endpoint of the embedded broker: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		return errors.New(strings.TrimSpace(string(msg)))
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
