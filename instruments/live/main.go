// live serves the lab in a browser (make live): a page that starts the real
// consumers, stops and kills them, and draws each group's records and
// commits as they happen, from the same timeline model as make timeline-NAME.
//
// Without BROKERS it starts an embedded broker of its own on a free port
// (as make demo does), and makes the lesson's topic with 30 orders if it is
// not there. It prints two links: the instructor's, which can act, and a
// viewer's, which can only watch. Ctrl+C stops it, every run it started
// (each as a Ctrl+C would: the record in hand finished, what was processed
// committed) and its broker.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"offsetlab/internal/advice"
	"offsetlab/internal/cluster"
	"offsetlab/internal/config"
	"offsetlab/internal/live"
	"offsetlab/internal/proc"
)

func main() {
	s := config.New("live", os.Getenv)
	brokers := s.OptionalBrokers("broker(s) the page plays on, host:port[,host:port] (default: start an embedded broker of its own)")
	topic := s.Topic(config.DefaultTopic)
	addr := s.String("LIVE_ADDR", "127.0.0.1:0", "where the page is served, host:port (port 0: a free one); not loopback: the class network, with a warning")
	if err := s.Parse(os.Args[1:]); err != nil {
		os.Exit(config.Fail("live", s, err))
	}
	fail := func(err error) {
		fmt.Fprintf(os.Stderr, "live: error: %s\n", advice.Error(err))
		os.Exit(2)
	}
	self, err := os.Executable()
	if err != nil {
		fail(err)
	}
	dir, err := os.Getwd()
	if err != nil {
		fail(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// The runs get the caller's environment without the lab's settings
	// (what they run with is what the page says), but with its database.
	env := proc.Environ(config.Names)
	if db := os.Getenv("DATABASE_URL"); db != "" {
		env = append(env, "DATABASE_URL="+db)
	}
	lab := &live.Lab{Bin: filepath.Dir(self), Dir: dir, Topic: *topic, Env: env, History: 20}
	if *brokers == nil {
		lab.Own = &proc.Broker{Bin: lab.Bin, Dir: filepath.Join(dir, ".lab", "live"), Env: env}
		if err := lab.Own.Start(ctx); err != nil {
			fail(fmt.Errorf("start the embedded broker: %w", err))
		}
		defer lab.Own.Stop()
		*brokers = []string{lab.Own.Address()}
		fmt.Printf("live: started its own embedded broker on %s (stopped again at the end; BROKERS=host:port to use another)\n", lab.Own.Address())
	}
	lab.Conn = config.Plaintext(*brokers)
	adm, err := cluster.Dial(ctx, lab.Conn)
	if err != nil {
		fail(err)
	}
	defer adm.Close()
	made, err := lab.Prepare(ctx)
	if err != nil {
		fail(err)
	}
	if made {
		fmt.Printf("live: made topic %s with 30 orders\n", *topic)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fail(fmt.Errorf("LIVE_ADDR=%s: %w", *addr, err))
	}
	host := ln.Addr().(*net.TCPAddr)
	srv := &live.Server{Lab: lab, Adm: adm, Instructor: live.Token(), Viewer: live.Token(),
		Origin: "http://" + host.String(), Every: 250 * time.Millisecond}
	if !host.IP.IsLoopback() {
		fmt.Printf("live: warning: serving on %s, not loopback: anyone on this network with a link sees the page, and the instructor's link acts\n", host)
	}
	go srv.Watch(ctx)
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(os.Stderr, "live: error: %v\n", err)
			stop()
		}
	}()
	fmt.Printf("live: topic %s on %s; the runs' logs go to %s\n", *topic, lab.Conn.Describe(), dir)
	fmt.Printf("live: instructor (acts):  http://%s/?token=%s\n", host, srv.Instructor)
	fmt.Printf("live: viewer (watches):   http://%s/?token=%s\n", host, srv.Viewer)
	fmt.Println("live: Ctrl+C stops the page, every run it started and its broker")

	<-ctx.Done()
	fmt.Println("live: stopping: each run finishes its record in hand and commits (a Ctrl+C each)")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = hs.Shutdown(sctx)
	lab.StopAll(syscall.SIGINT)
	fmt.Println("live: stopped")
}
