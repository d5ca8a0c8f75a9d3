package live

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"syscall"
	"time"

	"offsetlab/internal/cluster"
)

//go:embed page.html
var page []byte

// Role is what a request's token lets it do.
type Role int

const (
	Nobody     Role = iota
	Viewer          // sees the page and its events
	Instructor      // and acts
)

// Server serves the page, its events and its actions. Every request needs
// a token; actions need the instructor's, come as POSTs, and from the
// page's own origin.
type Server struct {
	Lab        *Lab
	Adm        *cluster.Client
	Instructor string // token
	Viewer     string // token
	Origin     string // http://host:port, as the page is served
	Every      time.Duration

	mu      sync.Mutex
	last    []byte // the latest state, as JSON
	changed chan struct{}
	dryRun  string // the last reset shown as a dry run (consumer and TO): the one that may be applied
}

// Token is a fresh random token.
func Token() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Server) role(r *http.Request) Role {
	t := r.URL.Query().Get("token")
	if t == "" {
		t = r.Header.Get("X-Lab-Token")
	}
	switch {
	case t == "":
		return Nobody
	case subtle.ConstantTimeCompare([]byte(t), []byte(s.Instructor)) == 1:
		return Instructor
	case subtle.ConstantTimeCompare([]byte(t), []byte(s.Viewer)) == 1:
		return Viewer
	}
	return Nobody
}

// ServeHTTP routes: / (the page), /state (the state once, JSON), /events
// (the state as server-sent events, each time it changes), /act (POST: an
// action).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	role := s.role(r)
	if role == Nobody {
		http.Error(w, "a token is needed: open the link make live printed", http.StatusForbidden)
		return
	}
	switch r.URL.Path {
	case "/":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'")
		_, _ = w.Write(page)
	case "/state":
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(s.current())
	case "/events":
		s.events(w, r)
	case "/act":
		s.act(w, r, role)
	default:
		http.NotFound(w, r)
	}
}

// Watch computes the state every Every and wakes the event streams when it
// changed, until ctx ends: one computation however many browsers watch.
func (s *Server) Watch(ctx context.Context) {
	s.mu.Lock()
	if s.changed == nil {
		s.changed = make(chan struct{})
	}
	s.mu.Unlock()
	t := time.NewTicker(s.Every)
	defer t.Stop()
	for {
		st := s.Lab.Snapshot(ctx, s.Adm)
		b, err := json.Marshal(st)
		if err == nil {
			s.mu.Lock()
			if !bytes.Equal(b, s.last) {
				s.last = b
				close(s.changed)
				s.changed = make(chan struct{})
			}
			s.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Server) current() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last == nil {
		return []byte("{}")
	}
	return s.last
}

func (s *Server) wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changed == nil {
		s.changed = make(chan struct{})
	}
	return s.changed
}

// events streams the state as server-sent events: the current one at once,
// then each new one.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	f, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	for {
		next := s.wait()
		if _, err := fmt.Fprintf(w, "data: %s\n\n", s.current()); err != nil {
			return
		}
		f.Flush()
		select {
		case <-r.Context().Done():
			return
		case <-next:
		}
	}
}

// answer is what an action returns: what it did, the make command that does
// the same in a terminal, or why it was refused.
type answer struct {
	OK     bool
	Make   string `json:",omitempty"`
	Output string `json:",omitempty"` // what the command printed, when the page shows it (a reset's plan)
	Run    int    `json:",omitempty"` // the run a start started
	Error  string `json:",omitempty"`
}

// act runs one of the fixed actions. Nothing from the page is ever run as a
// command: the action names one of the cases below, and its values go
// through the same checks as the command line's.
func (s *Server) act(w http.ResponseWriter, r *http.Request, role Role) {
	refuse := func(code int, why string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(answer{Error: why})
	}
	switch {
	case r.Method != http.MethodPost:
		refuse(http.StatusMethodNotAllowed, "actions are POSTs")
		return
	case role != Instructor:
		refuse(http.StatusForbidden, "this link can watch, not act: the instructor's link acts")
		return
	case r.Header.Get("Origin") != s.Origin:
		refuse(http.StatusForbidden, "actions come from the page itself (Origin "+s.Origin+")")
		return
	}
	if err := r.ParseForm(); err != nil {
		refuse(http.StatusBadRequest, err.Error())
		return
	}
	ctx := r.Context()
	var (
		cmd, output string
		run         int
		err         error
	)
	switch r.PostForm.Get("action") {
	case "start":
		settings := map[string]string{}
		for k, v := range r.PostForm {
			if k != "action" && k != "consumer" && len(v) > 0 {
				settings[k] = v[0]
			}
		}
		var started *Run
		if started, err = s.Lab.Start(ctx, r.PostForm.Get("consumer"), settings); err == nil {
			cmd, run = started.Make(), started.ID
		}
	case "stop", "crash", "kill":
		id, perr := strconv.Atoi(r.PostForm.Get("run"))
		if perr != nil {
			refuse(http.StatusBadRequest, "run: want a run's number")
			return
		}
		sig := map[string]syscall.Signal{"stop": syscall.SIGINT, "crash": syscall.SIGUSR1, "kill": syscall.SIGKILL}[r.PostForm.Get("action")]
		cmd, err = s.Lab.Signal(id, sig)
	case "fresh":
		cmd, err = s.Lab.Fresh(ctx)
	case "load":
		cmd, err = s.Lab.Load(ctx)
	case "broker-kill":
		cmd, err = s.Lab.BrokerKill()
	case "broker-start":
		cmd, err = s.Lab.BrokerStart(ctx)
	case "fail-commits":
		cmd, err = s.Lab.FailCommits(r.PostForm.Get("consumer"), r.PostForm.Get("ERR"), r.PostForm.Get("COUNT"))
	case "clear-faults":
		cmd, err = s.Lab.ClearFaults()
	case "reset", "reset-apply":
		// The dry run first: only the reset last shown as a plan is applied.
		consumer, to := r.PostForm.Get("consumer"), r.PostForm.Get("TO")
		key := consumer + " " + to
		apply := r.PostForm.Get("action") == "reset-apply"
		s.mu.Lock()
		shown := s.dryRun == key
		s.mu.Unlock()
		if apply && !shown {
			refuse(http.StatusConflict, "show the dry run of this reset first (TO and consumer as shown)")
			return
		}
		output, cmd, err = s.Lab.Reset(ctx, consumer, to, apply)
		s.mu.Lock()
		if err == nil && !apply {
			s.dryRun = key
		} else {
			s.dryRun = ""
		}
		s.mu.Unlock()
	default:
		refuse(http.StatusBadRequest, "no such action: start, stop, crash, kill, fresh, load, broker-kill, broker-start, fail-commits, clear-faults, reset, reset-apply")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		w.WriteHeader(http.StatusUnprocessableEntity)
		_ = json.NewEncoder(w).Encode(answer{Error: err.Error()})
		return
	}
	_ = json.NewEncoder(w).Encode(answer{OK: true, Make: cmd, Output: output, Run: run})
}
