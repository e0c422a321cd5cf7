"""Unit tests, one file per module of gochan: test_chan ↔ _chan, test_select ↔ _select, test_time ↔ _time,
test_sync ↔ sync, test_semaphore ↔ semaphore, test_context, test_errgroup, test_signal, test_net,
test_watchdog ↔ their modules, test_synctest ↔ testing; the runtime (gochan._runtime) has
test_runtime (scheduler, park/ready, timers), test_program (run's program semantics) and
test_threads (to_thread, bridges). Properties, classic programs and typing live beside this folder.
"""
