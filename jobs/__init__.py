"""APScheduler wiring: timers that wake the core's timeline. The jobs' facts live in
copbot's own tables; a timer only says "wake up and look"."""
