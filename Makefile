# The two commands of the README, and the stack for development.
.PHONY: run test stack-up stack-down

run:            ## the service on its embedded default (SQLite, in-process tasks)
	deploy/run

test:           ## the whole test suite on the real stack
	deploy/test

stack-up:       ## PostgreSQL, Redis, Knot and Unbound on loopback (see var/stack/stack.env)
	python3 deploy/stack.py up

stack-down:
	python3 deploy/stack.py down
