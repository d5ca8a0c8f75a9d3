package main

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"offsetlab/internal/cluster"
)

// userAdd creates (or changes the password of) the SCRAM user NEW_USER, the
// way kafka-configs --alter --add-config 'SCRAM-SHA-256=[password=…]' does:
// an instructor runs it once per learner on a SASL/SCRAM cluster. Kafka
// stores only a salted hash; the password never leaves this process in the
// clear and is never printed.
func userAdd(ctx context.Context, s settings, adm *cluster.Client) error {
	if s.newUser == "" || s.newPassword == "" {
		return fmt.Errorf("user-add needs NEW_USER and NEW_PASSWORD (environment) or NEW_PASSWORD_FILE")
	}
	mech := kadm.ScramSha256
	if s.newMechanism == "SCRAM-SHA-512" {
		mech = kadm.ScramSha512
	}
	cctx, cancel := context.WithTimeout(ctx, cluster.ReachTimeout)
	defer cancel()
	res, err := adm.AlterUserSCRAMs(cctx, nil, []kadm.UpsertSCRAM{{
		User: s.newUser, Mechanism: mech, Password: string(s.newPassword),
		// Kafka's default and minimum for SCRAM-SHA-256/512.
		Iterations: 4096,
	}})
	if err == nil {
		err = res[s.newUser].Err
	}
	if err != nil {
		return fmt.Errorf("SCRAM user %s (%s): %w", s.newUser, mech, err)
	}
	// The controller has the user once it answers; a broker learns of it
	// from the metadata log a moment later (seconds, when busy), and until
	// then refuses the login. Wait until the broker describes it.
	deadline := time.Now().Add(30 * time.Second)
	for !hasSCRAM(ctx, adm, s.newUser, mech) {
		if time.Now().After(deadline) {
			return fmt.Errorf("SCRAM user %s (%s) was created, but the broker does not describe it 30s later", s.newUser, mech)
		}
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Printf("SCRAM user %s can now log in with SASL_MECHANISM=%s\n", s.newUser, mech)
	return nil
}

// hasSCRAM says whether the broker describes user with a credential for mech.
func hasSCRAM(ctx context.Context, adm *cluster.Client, user string, mech kadm.ScramMechanism) bool {
	dctx, cancel := context.WithTimeout(ctx, cluster.ReachTimeout)
	defer cancel()
	described, err := adm.DescribeUserSCRAMs(dctx, user)
	if err != nil {
		return false
	}
	for _, c := range described[user].CredInfos {
		if c.Mechanism == mech {
			return true
		}
	}
	return false
}
