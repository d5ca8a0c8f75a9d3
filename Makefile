# The offset-commits lab. `make` (or `make help`) lists every target and variable.
#
# Settings reach the binaries as environment variables: `make run-auto CRASH=10`
# runs bin/auto-commit with CRASH=10 in its environment, exactly as
# `CRASH=10 bin/auto-commit` or `bin/auto-commit -crash 10` would.

.DEFAULT_GOAL := help
SHELL := bash

# Under make a run stops by itself once it has read everything and seen no
# record for this long; the binaries alone default to 0 (run until Ctrl+C).
IDLE_EXIT ?= 5s
export IDLE_EXIT

# The lab's folder, so that `make -f path/to/Makefile` works from anywhere:
# binaries live in the lab's bin/, the processed logs in the folder you run from.
ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))

# The effect consumers' database (idempotent, db-offsets, count-*): a SQLite
# file in the lab's .lab/ (where make clean removes it) unless DATABASE_URL
# says otherwise (make postgres-up prints a postgres:// one).
DATABASE_URL ?= sqlite:$(ROOT)/.lab/kitchen.db
export DATABASE_URL
BIN := $(ROOT)/bin

# The same crash on the other Go clients (docs/clients.md): consumers over
# kafka-go and over confluent-kafka-go, under clients/; NAME's binary is
# bin/NAME. confluent-kafka-go links the librdkafka it bundles with cgo, so
# its consumers are a Go module of their own (clients/confluent) that only
# `make build-confluent` (and their own targets) build: `make build`, the
# demo and the main module's tests never need a C compiler.
KAFKAGO := kafkago-read kafkago-fetch
CONFLUENT := confluent-auto confluent-store confluent-commit
CLIENTS := $(KAFKAGO) $(CONFLUENT)
src_kafkago-read := clients/kafka-go/read-message
src_kafkago-fetch := clients/kafka-go/fetch-commit
src_confluent-auto := clients/confluent/auto-store
src_confluent-store := clients/confluent/store-after-work
src_confluent-commit := clients/confluent/commit-each
# The C compiler cgo uses (go env CC: gcc, or clang on macOS), looked up only when needed.
CGO_CC = $(shell go env CC)

# The consumers, by the short name of their targets (run-auto, count-auto,
# group-describe-auto, ...): each is a folder at the top of the lab (the
# other clients' under clients/), the lesson a learner reads; its group is
# kitchen-NAME, its logs processed-NAME.log and events-NAME.jsonl. Three
# have a longer folder name.
CONSUMERS := auto sync async share idempotent db-offsets transactional $(CLIENTS)
folder_auto := auto-commit
folder_sync := manual-sync
folder_async := manual-async
folder = $(or $(folder_$1),$1)
# What `make count-NAME` asks admin: the count that fits what the consumer
# leaves behind (a processed log; a share group's answers; effects in the
# database; tickets in OUTPUT_TOPIC).
count_share := count-share
count_idempotent := count-effects
count_db-offsets := count-effects
count_transactional := count-output
# known: nothing for a consumer's short name, an error naming them all for
# anything else (make run-foo).
comma := ,
space := $(subst ,, )
commas = $(subst $(space),$(comma),$(strip $1))
known = $(if $(filter $1,$(CONSUMERS)),,$(error unknown consumer '$1': the consumers are $(CONSUMERS)))

# The instruments measure and drive the consumers; they live apart, in
# instruments/, so that the top of the lab is the lesson.
INSTRUMENTS := admin broker timeline experiment bench live
BINARIES := $(foreach c,$(filter-out $(CONFLUENT),$(CONSUMERS)),$(call folder,$c)) seed $(INSTRUMENTS)
# The Go files (and the files they embed), not looking into .lab/ at all: a broker's data there changes
# under find's feet (Kafka deletes a topic's folder while find lists it, and
# find's complaint landed in a make target's output).
GO_FILES := $(shell find $(ROOT) \( -path '$(ROOT)/.lab' -o -path '$(ROOT)/.git' -o -path '$(ROOT)/bin' \) -prune -o -name '*.go' -print) $(ROOT)/go.mod $(ROOT)/go.sum $(wildcard $(ROOT)/clients/confluent/go.*) $(wildcard $(ROOT)/internal/live/*.html)
ADMIN := $(BIN)/admin

# Each binary is built once into bin/ and rebuilt only when a Go file changes.
$(BIN)/%: $(GO_FILES)
	@mkdir -p $(BIN)
	@echo "building bin/$*"
	@cd $(ROOT) && go build -o $@ ./$(or $(src_$*),$(if $(filter $*,$(INSTRUMENTS)),instruments/)$*)

# The confluent-kafka-go consumers: cgo, in their own module.
$(addprefix $(BIN)/,$(CONFLUENT)): $(BIN)/%: $(GO_FILES)
	@mkdir -p $(BIN)
	@command -v $(CGO_CC) >/dev/null || { echo "bin/$*: confluent-kafka-go needs a C compiler (cgo) and $(CGO_CC) is not installed: apt-get install gcc (Debian, Ubuntu), xcode-select --install (macOS)"; exit 1; }
	@echo "building bin/$* (cgo: confluent-kafka-go with its bundled librdkafka)"
	@cd $(ROOT)/clients/confluent && CGO_ENABLED=1 go build -o $@ ./$(patsubst clients/confluent/%,%,$(src_$*))

# The targets of every consumer are pattern rules (run-%, count-%, ...), which
# make cannot list as .PHONY; these are the rest.
.PHONY: help build build-confluent clients demo exercise live live-picture test test-unit test-e2e lint bench bench-kafka bench-picture bench-calls fmt vet \
	broker broker-up broker-down kafka-up kafka-down kafka-logs jvm-kafka-up jvm-kafka-down jvm-kafka-node-kill jvm-kafka-node-up test-kafka \
	topic-create topic-delete topic-load tickets-clear postgres-up postgres-down experiment pictures \
	offsets-log fresh group-delete-all group-remove-member \
	groups topic-describe user-add fault-commit fault-clear faults \
	clean-logs clean

# Pattern rules name their prerequisites from the consumer's name.
.SECONDEXPANSION:

help: ## list targets and variables
	@echo "The offset-commits lab: what each Kafka offset-commit strategy does when a consumer crashes."
	@echo
	@echo "Targets:"
	@awk -F':.*## ' '/^[a-z%-]+:.*## / { sub(/%/, "NAME", $$1); printf "  %-26s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)
	@echo
	@echo "NAME is a consumer: $(CONSUMERS)"
	@echo "  (folders $(foreach c,$(CONSUMERS),$(or $(src_$c),$(call folder,$c))); groups kitchen-NAME; logs processed-NAME.log, events-NAME.jsonl)"
	@echo
	@echo "Variables (make VAR=value, or in the environment; the binaries take the same as -flags):"
	@printf "  %-22s %-24s %s\n" NAME DEFAULT MEANING
	@awk -F'|' '/^#: / { sub(/^#: /, "", $$1); printf "  %-22s %-24s %s\n", $$1, $$2, $$3 }' $(MAKEFILE_LIST)
	@echo
	@echo "A class on one cluster (docs/clusters.md): the instructor starts it (make jvm-kafka-up NODES=3 KAFKA_SASL_PORT=9192),"
	@echo "creates a user per learner (NEW_USER=alice NEW_PASSWORD=... make user-add), and each learner sets"
	@echo "BROKERS, SASL_MECHANISM=SCRAM-SHA-256, SASL_USER, SASL_PASSWORD and LEARNER=<name>, then make topic-create topic-load run-auto."

#: BROKERS|127.0.0.1:9092|broker(s) to talk to, host:port[,host:port]
#: LEARNER|(none)|a class on one cluster: your name, appended to topics and groups (brew.orders.v1.alice, kitchen-auto-alice)
#: SASL_MECHANISM|(none)|a secured cluster's login: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (with SASL_USER and a password)
#: SASL_USER|(none)|the user to log in as (the embedded broker's one user with BROKER_SASL)
#: SASL_PASSWORD|(none)|its password: environment only (never a flag: ps shows flags), never printed
#: SASL_PASSWORD_FILE|(none)|or a file holding the password
#: TLS|0|1 = connect over TLS
#: TLS_CA|(system CAs)|PEM file of the CA that signed the brokers' certificates
#: TLS_SERVER_NAME|(host in BROKERS)|the name the brokers' certificate must carry
#: TOPIC|brew.orders.v1|the orders topic
#: OUTPUT_TOPIC|brew.tickets.v1|the tickets topic run-transactional writes (topic-create makes it too)
#: TRANSACTION_TIMEOUT|40s|run-transactional: how long the broker keeps one of its transactions open before aborting it (a killed run's, if no restart fences it)
#: GROUP|kitchen-<strategy>|consumer group: kitchen-auto, kitchen-sync, kitchen-async, kitchen-idempotent, kitchen-db-offsets, kitchen-transactional, kitchen-kafkago-read, ...; share group kitchen-share
#: INSTANCE|1|copy number: static member GROUP-INSTANCE; give each running copy its own
#: CRASH|0|exit(1) after this many records in the run, committing nothing (0 = never); the other clients' consumers: with the next record in hand
#: CRASH_WHEN|now|the other clients' consumers: committed = the crash waits (5 s or 5 x COMMIT_EVERY at most) until the broker has the record in hand as committed: the loss recipe
#: WORK_DELAY|50ms|pretend work per record
#: WORK_HOLD|(none)|a file: while it exists, the work of the record in hand does not finish (touch it to stall a consumer mid-batch, rm it to let it go on)
#: COMMIT_EVERY|2s auto, 500ms async|kgo's background auto-commit interval (sync has none); kafkago-read: kafka-go's CommitInterval (0, its default: ReadMessage commits each message); confluent-auto, -store: auto.commit.interval.ms (5s)
#: MAX_POLL_RECORDS|5|records per poll at most (0 = whatever one poll returns)
#: BENCH_RECORDS|200000|bench: orders seeded once and read by every run
#: ROUNDS|3|bench: runs of every row (the results are medians)
#: BENCH_ROWS|all|bench: comma-separated rows, e.g. baseline-500,sync-batch-500
#: BENCH_BROKER|embedded / kafka|bench: the broker's name in the results
#: COMMIT_PER|batch|run-sync, run-async: when the loop commits: batch, record, count:N, time:T, shutdown (async: the timer, and one commit at a clean stop), or none (never)
#: PRINT|records|a line per record and per commit; progress: a line a second instead; none: neither
#: CPUPROFILE|(none)|a consumer run writes a Go CPU profile here (go tool pprof bin/NAME FILE)
#: DATABASE_URL|sqlite:.lab/kitchen.db|run-idempotent, run-db-offsets, count-*: where tickets (and db-offsets' offsets) go: sqlite:PATH or postgres://user:pw@host:port/db
#: PG_PORT|(a free one)|postgres-up: the port of its PostgreSQL (loopback only)
#: PG_DIR|.lab/postgres|postgres-up/down: its data, log and port (deleted by postgres-down)
#: GREEDY|0|1 = kgo.GreedyAutoCommit for run-auto: commit what was polled
#: HANDOFF|0|run-auto: hand each polled batch to this many goroutines (a worker pool) and poll again at once; a crash loses what the pool held
#: LOG|processed-<strategy>.log|processed log a run appends to and count reads
#: EVENTS|events-<strategy>.jsonl|events log a run appends to (one JSON line per event) and timeline draws
#: OUT|timeline-<strategy>.svg|timeline-*: the picture to write (a page with the numbers goes beside it, .html); experiment: its results folder (.lab/experiment)
#: TITLE|(strategy and log)|timeline-*: the picture's title
#: RESET|earliest|where a group with nothing committed starts: earliest or latest
#: REBALANCE_TIMEOUT|60s|how long the broker waits for a member to rejoin a rebalance before dropping it
#: SESSION_TIMEOUT|45s|how long a crashed member keeps its partitions: kgo's session (classic), the group's consumer.session.timeout.ms (GROUP_PROTOCOL=consumer); 6s to 5m
#: GROUP_PROTOCOL|classic|run-auto/sync/async and experiment: classic (the members assign) or consumer (KIP-848: the broker assigns)
#: POISON|(none)|run-share: the key whose work always fails, e.g. order-0007
#: ON_FAIL|release|run-share: a failed record is released (delivered again, up to the delivery limit) or rejected (archived at once)
#: SCENARIOS|all|experiment: crash, sigkill, broker-restart, commit-fail, rebalance, ctrl-c, slow, new-group-latest, new-group-earliest, greedy; coordinator-failover only when named (it starts a three-node Apache Kafka: Java)
#: STRATEGIES|all|experiment: auto, sync, async
#: LIVE_ADDR|127.0.0.1:0|live: where the page is served (port 0: a free one); another address than loopback serves a class network, with a warning
#: PICTURES|docs|pictures: the folder the demo's timelines are copied to
#: IDLE_EXIT|5s (binaries alone: 0)|stop cleanly once caught up and idle this long (0 = never)
#: SEED_MESSAGES|30|orders topic-load produces
#: PARTITIONS|3|partitions topic-create makes
#: REPLICATION|1|topic-create: replicas of each partition (3 on a three-node cluster)
#: BROKER_PORT|9092|port of the embedded broker
#: BROKER_DATA|.lab/broker-data|state directory of the embedded broker
#: BROKER_NODES|1|brokers in the embedded cluster, on BROKER_PORT and the ports after it
#: BROKER_SESSION_TIMEOUT|45s|embedded broker: how long a crashed KIP-848 or share group member keeps its partitions (and static id); the tests use 6s
#: BROKER_VERSION|(the newest)|the embedded broker answers as this Kafka release would, e.g. 3.9 (no KIP-848 or share groups)
#: BROKER_SASL|(none)|the embedded broker requires SASL: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, SASL_USER/SASL_PASSWORD its user
#: BROKER_TLS_CERT|(none)|the embedded broker serves TLS only, with this PEM certificate (and BROKER_TLS_KEY)
#: BROKER_TLS_KEY|(none)|the PEM private key of BROKER_TLS_CERT
#: NEW_USER|(none)|user-add: the SCRAM user to create (password in NEW_PASSWORD or NEW_PASSWORD_FILE; environment only)
#: NEW_PASSWORD|(none)|user-add: the new user's password (environment only, never a flag)
#: NEW_PASSWORD_FILE|(none)|user-add: or a file holding it
#: NEW_MECHANISM|SCRAM-SHA-256|user-add: SCRAM-SHA-256 or SCRAM-SHA-512
#: TO|(none)|group-reset: earliest, latest, datetime:2026-05-01T00:00:00Z, shift:-10, shift:+10, offset:42
#: EXECUTE|0|1 = group-reset applies the reset (default: dry run)
#: PARTITION|-1|limit group-reset to this partition (-1 = all)
#: INTERVAL|1s|group-watch refresh interval
#: ONCE|0|1 = group-watch prints one sample and exits
#: ERR|(none)|fault-commit: Kafka error the commits fail with (COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, REBALANCE_IN_PROGRESS, REQUEST_TIMED_OUT, UNKNOWN_MEMBER_ID, ...)
#: COUNT|1|fault-commit: how many OffsetCommit requests, or all (until fault-clear)
#: DELAY|0|fault-commit: answer those commits this much later (up to 30s)
#: KAFKA_PORT|9092|client port of jvm-kafka-up's Apache Kafka
#: KAFKA_HOST|127.0.0.1|jvm-kafka-up: the address its client listeners bind to and advertise (a class's machine: its network address)
#: KAFKA_CONTROLLER_PORT|KAFKA_PORT+NODES|its (first) KRaft controller port: KAFKA_PORT+1 for one node, KAFKA_PORT+3 for three
#: NODES|1|jvm-kafka-up/down: 1 node, or 3 (ports KAFKA_PORT..+2, controllers KAFKA_CONTROLLER_PORT..+2; __consumer_offsets with 50 partitions on all three)
#: KAFKA_SASL_PORT|(none)|jvm-kafka-up: also a SASL/SCRAM listener there (node i on +i-1); users with user-add
#: KAFKA_SESSION_TIMEOUT_MS|45000|jvm-kafka-up: the same for Apache Kafka (it lowers the group.consumer/group.share minimums to 6000, so SESSION_TIMEOUT can be short; the tests use 6000)
#: KAFKA_DIR|.lab/jvm-kafka-PORT|its data, server.properties, pid and logs
#: NODE|(none)|jvm-kafka-node-kill/-up: which node (1 to 3; node i is broker id i, port KAFKA_PORT+i-1)

build: $(addprefix $(BIN)/,$(BINARIES)) ## build every binary into bin/ (all but the confluent-kafka-go consumers: build-confluent)

build-confluent: $(addprefix $(BIN)/,$(CONFLUENT)) ## build the confluent-kafka-go consumers (cgo: needs gcc; about 8 s more after make build)

demo: build ## the lesson in one go: every strategy crashed and recovered, one table (pictures in .lab/demo)
	@$(ROOT)/scripts/demo.sh

live: build ## the lab in a browser: a page that starts, stops and kills the real consumers and draws their commits as they happen (own embedded broker unless BROKERS; LIVE_ADDR for a class network)
	@$(BIN)/live

exercise: build ## exercises that ask for a prediction, then measure: the list, or N=3 to play one (PREDICT=repeated,lost answers without a terminal; answers in docs/exercises.md)
	@$(ROOT)/scripts/exercise.sh $(N)

clients: build build-confluent ## the lesson's crash on franz-go, kafka-go and confluent-kafka-go side by side, one table (cgo for the last; pictures in .lab/clients)
	@$(ROOT)/scripts/clients.sh

experiment: build ## every failure of the lesson texts, for every strategy, judged (own embedded broker; BROKERS= for another)
	@$(BIN)/experiment -out $(or $(OUT),$(ROOT)/.lab/experiment)

pictures: demo ## the demo's timelines, copied to PICTURES (docs/) for the README
	@mkdir -p $(or $(PICTURES),$(ROOT)/docs)
	@for n in auto-commit manual-sync manual-async auto-greedy; do cp $(ROOT)/.lab/demo/timeline-$$n.svg $(or $(PICTURES),$(ROOT)/docs)/timeline-$$n.svg; done
	@echo "pictures: copied .lab/demo/timeline-*.svg to $(or $(PICTURES),docs)/"

test: lint ## every test: format, vet, staticcheck, unit and end-to-end (builds and runs the real binaries)
	cd $(ROOT) && go test -count=1 -parallel 16 -timeout 15m ./...

lint: ## gofmt, go vet and staticcheck (pinned in go.mod: go tool staticcheck), no finding allowed
	@cd $(ROOT) && test -z "$$(gofmt -l .)" || { echo "gofmt would change:"; gofmt -l $(ROOT); exit 1; }
	cd $(ROOT) && go vet ./...
	cd $(ROOT) && go tool staticcheck ./...
	@# The confluent-kafka-go consumers are a module of their own, and vetting cgo code needs a C compiler.
	@if command -v $(CGO_CC) >/dev/null; then \
		echo "cd clients/confluent && go vet ./... && staticcheck ./..."; \
		cd $(ROOT)/clients/confluent && go vet ./... && "$$(cd $(ROOT) && go tool -n staticcheck)" ./...; \
	elif [[ "$${LAB_TEST_CGO:-}" == 1 ]]; then echo "lint: no C compiler ($(CGO_CC)), which LAB_TEST_CGO=1 (CI) requires for clients/confluent"; exit 1; \
	else echo "lint: no C compiler ($(CGO_CC)): clients/confluent (cgo) not vetted"; fi

test-unit: ## unit tests only (no broker)
	cd $(ROOT) && go test -count=1 ./internal/...

bench: build ## what committing costs, end to end: every strategy's real binary at WORK_DELAY=0, ROUNDS rounds (own embedded broker; BROKERS= for another)
	@$(BIN)/bench -out $(or $(OUT),$(ROOT)/.lab/bench)

bench-kafka: build ## the same bench on Apache Kafka from the jars, started on free ports and stopped after (its rows join .lab/bench's)
	@BENCH_BROKER=$(or $(BENCH_BROKER),kafka) $(ROOT)/scripts/with-kafka.sh $(BIN)/bench -out $(or $(OUT),$(ROOT)/.lab/bench)

live-picture: build ## the live page after the lesson's crash recipe (manual-sync, CRASH=10, then a run to the end), played from its controls in headless Chromium, to PICTURES/live.png for the README
	@mkdir -p $(or $(PICTURES),$(ROOT)/docs)
	@cd $(ROOT) && LAB_LIVE_PICTURE=$(or $(PICTURES),$(ROOT)/docs)/live.png go test -count=1 -run 'TestLivePageDrivesTheCrashRecipe$$' ./e2e/ >/dev/null
	@echo "live-picture: wrote $(or $(PICTURES),docs)/live.png"

bench-picture: ## record the last bench (both brokers after bench and bench-kafka) for docs/costs.md: its chart to PICTURES/bench-throughput.svg, its numbers to PICTURES/bench-results.csv (the page's table, which a test checks)
	@mkdir -p $(or $(PICTURES),$(ROOT)/docs)
	@cp $(or $(OUT),$(ROOT)/.lab/bench)/throughput.svg $(or $(PICTURES),$(ROOT)/docs)/bench-throughput.svg
	@cp $(or $(OUT),$(ROOT)/.lab/bench)/results.csv $(or $(PICTURES),$(ROOT)/docs)/bench-results.csv
	@echo "bench-picture: copied $(or $(OUT),.lab/bench)/throughput.svg and results.csv to $(or $(PICTURES),docs)/bench-throughput.svg and bench-results.csv"

bench-calls: ## Go benchmarks of the calls alone: each commit call, a transaction, each effect guard (SQLite; and DATABASE_URL if postgres://)
	cd $(ROOT) && LAB_TEST_DATABASE_URL=$(filter postgres://% postgresql://%,$(DATABASE_URL)) go test -run '^$$' -bench . -benchtime 2000x -count 3 ./e2e/ ./internal/tickets/

broker: $(BIN)/broker ## run the embedded broker in the foreground (Ctrl+C stops it)
	$(BIN)/broker

broker-up: build ## start the embedded broker in the background and wait until it answers
	@$(ROOT)/scripts/broker.sh up

broker-down: ## stop the background embedded broker
	@$(ROOT)/scripts/broker.sh down

jvm-kafka-up: build ## start real Apache Kafka without Docker (Java 17+, jars from Maven Central) on KAFKA_PORT
	@$(ROOT)/scripts/jvm-kafka.sh up

jvm-kafka-down: ## stop that Kafka (keeps its data and logs in .lab/jvm-kafka-PORT)
	@$(ROOT)/scripts/jvm-kafka.sh down

jvm-kafka-node-kill: ## SIGKILL node NODE of jvm-kafka-up's cluster (NODES=3): a broker failing, e.g. a group's coordinator
	@$(ROOT)/scripts/jvm-kafka.sh node-kill

jvm-kafka-node-up: ## start node NODE again after jvm-kafka-node-kill
	@$(ROOT)/scripts/jvm-kafka.sh node-up

test-kafka: build ## the end-to-end suite against real Apache Kafka (started on free ports, or BROKERS if given)
	@$(ROOT)/scripts/test-kafka.sh

kafka-up: ## start real Apache Kafka with Docker (docker-compose.yml)
	docker compose -f $(ROOT)/docker-compose.yml up -d --wait

kafka-down: ## stop Docker's Kafka (keeps its volume)
	docker compose -f $(ROOT)/docker-compose.yml down

kafka-logs: ## follow Docker's Kafka log
	docker compose -f $(ROOT)/docker-compose.yml logs -f kafka

topic-create: $(ADMIN) ## create TOPIC with PARTITIONS partitions
	@$(ADMIN) topic-create

user-add: $(ADMIN) ## create the SCRAM user NEW_USER on a SASL cluster (password in NEW_PASSWORD or NEW_PASSWORD_FILE)
	@$(ADMIN) user-add

topic-delete: $(ADMIN) ## delete TOPIC (waits until it is gone)
	@$(ADMIN) topic-delete

topic-load: $(BIN)/seed ## produce SEED_MESSAGES orders, spread evenly over the partitions
	@$(BIN)/seed

run-%: $$(call known,$$*) $$(BIN)/$$(call folder,$$*) ## run consumer NAME (auto: kgo's auto-commit, GREEDY=1 greedy; sync: CommitRecords per batch; async: MarkCommitRecords + CommitMarkedOffsets; share: a share group; idempotent, db-offsets: effects in DATABASE_URL; transactional: Kafka transactions; kafkago-*, confluent-*: the other Go clients, docs/clients.md)
	@$(BIN)/$(call folder,$*)

count-%: $$(call known,$$*) $$(ADMIN) ## duplicates and losses in processed-NAME.log; share: deliveries and the group as the broker reports it; idempotent, db-offsets: effects in the database; transactional: OUTPUT_TOPIC's tickets
	@$(ADMIN) $(or $(count_$*),count) -group $(or $(GROUP),kitchen-$*) -log $(or $(LOG),processed-$*.log)

tickets-clear: $(ADMIN) ## forget both effect groups' tickets, idempotency keys and stored offsets for TOPIC (GROUP= for one)
	@$(ADMIN) tickets-clear -group $(or $(GROUP),kitchen-idempotent,kitchen-db-offsets)

postgres-up: ## start a throwaway PostgreSQL (Debian's postgresql package, no Docker) and print its DATABASE_URL
	@$(ROOT)/scripts/postgres.sh up

postgres-down: ## stop it and delete its data
	@$(ROOT)/scripts/postgres.sh down

timeline-%: $$(call known,$$*) $$(BIN)/timeline ## draw processed vs committed over time from events-NAME.jsonl (OUT=timeline-NAME.svg, and a page with the numbers beside it)
	@$(BIN)/timeline -log $(or $(LOG),processed-$*.log) -events $(or $(EVENTS),events-$*.jsonl) -out $(or $(OUT),timeline-$*.svg)

group-describe-%: $$(call known,$$*) $$(ADMIN) ## kitchen-NAME: committed offset, log end and lag per partition; members (a share group: its start offsets)
	@$(ADMIN) group-describe -group $(or $(GROUP),kitchen-$*)

group-coordinator-%: $$(call known,$$*) $$(ADMIN) ## where kitchen-NAME's commits go: the lesson's __consumer_offsets formula, and the coordinator the cluster names
	@$(ADMIN) group-coordinator -group $(or $(GROUP),kitchen-$*)

group-watch-%: $$(call known,$$*) $$(ADMIN) ## kitchen-NAME's lag every INTERVAL with its trend (ONCE=1: one sample)
	@$(ADMIN) group-watch -group $(or $(GROUP),kitchen-$*)

group-reset-%: $$(call known,$$*) $$(ADMIN) ## move kitchen-NAME's offsets to TO (dry run; EXECUTE=1 applies)
	@$(ADMIN) group-reset -group $(or $(GROUP),kitchen-$*)

group-remove-member-%: $$(call known,$$*) $$(ADMIN) ## remove static member kitchen-NAME-INSTANCE (a crashed copy) now
	@$(ADMIN) group-remove-member -group $(or $(GROUP),kitchen-$*)

group-delete-%: $$(call known,$$*) $$(ADMIN) ## forget kitchen-NAME's committed offsets (next run starts from the earliest)
	@$(ADMIN) group-delete -group $(or $(GROUP),kitchen-$*)

fresh: $(ADMIN) $(BIN)/seed ## the lesson's start, whatever came before: TOPIC (and OUTPUT_TOPIC) made again with 30 orders, every consumer's group deleted, the tickets and this folder's logs cleared
	@$(ADMIN) topic-delete
	@$(ADMIN) topic-create
	@$(BIN)/seed -seed-messages 30
	@$(ADMIN) group-delete -group $(call commas,$(addprefix kitchen-,$(CONSUMERS)))
	@$(ADMIN) tickets-clear -group kitchen-idempotent,kitchen-db-offsets
	@rm -f processed-*.log events-*.jsonl
	@echo "fresh: removed this folder's processed-*.log and events-*.jsonl; the lab is at the lesson's start"

group-delete-all: $(ADMIN) ## delete every consumer's group
	@$(ADMIN) group-delete -group $(call commas,$(addprefix kitchen-,$(CONSUMERS)))

group-remove-member: $(ADMIN) ## remove static member GROUP-INSTANCE of any GROUP
	@$(ADMIN) group-remove-member

offsets-log: $(ADMIN) ## Apache Kafka: the records __consumer_offsets holds for the lab's groups (GROUP= for some), decoded: each commit as Kafka wrote it
	@$(ADMIN) offsets-log -group $(or $(GROUP),$(call commas,$(addprefix kitchen-,$(filter-out share,$(CONSUMERS)))))

groups: $(ADMIN) ## every group on the broker: state, members, total lag
	@$(ADMIN) groups

topic-describe: $(ADMIN) ## TOPIC's partitions with leader, log start and log end
	@$(ADMIN) topic-describe

# The fault commands talk to the embedded broker with BROKER_DATA (relative
# to the lab's folder, as for broker-up) through its loopback control endpoint.
fault-commit: $(BIN)/broker ## embedded broker: the next COUNT commits (of GROUP) fail with ERR and/or wait DELAY
	@cd $(ROOT) && $(BIN)/broker fault-commit

fault-clear: $(BIN)/broker ## embedded broker: remove every active fault
	@cd $(ROOT) && $(BIN)/broker fault-clear

faults: $(BIN)/broker ## embedded broker: the faults added since it started and what each did
	@cd $(ROOT) && $(BIN)/broker faults

clean-logs: ## delete processed-*.log and events-*.jsonl
	rm -f processed-*.log events-*.jsonl

clean: clean-logs ## delete binaries, broker state, the SQLite kitchen and demo output (stops a postgres-up server first)
	@$(ROOT)/scripts/postgres.sh down >/dev/null 2>&1 || true
	rm -rf $(BIN) $(ROOT)/.lab
