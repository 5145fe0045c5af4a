"""The worker loops: one base (`QueueWorker`: claim a batch, consume it, forever) and its three
uses, the inbox worker, the timer poller and the outbox relay."""
