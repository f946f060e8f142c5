"""One start-up place per process kind: `web` (HTTP: verify, record, ack), `worker` (queue lanes, poller,
scheduler) and `supervisor` (`ledgerbridge serve`: one web and one worker as separate OS processes, each of
which stops when its parent is gone: `parent_watch`)."""
