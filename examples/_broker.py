"""The in-process stand-in for seed 000's RabbitMQ: a job delivery with ``ack``, and a fan-out exchange.

The talk's workers read jobs from a RabbitMQ queue (``jobs``), publish "cancel this command" on a
publish/subscribe exchange (``cancelBroadcaster``) and read everyone's cancels from their own
subscription (``cancelJobs``). Here a queue delivery is a ``Job`` sent on a channel, and the
exchange is a ``Broadcaster`` that sends each message to every subscriber's own buffered channel
(RabbitMQ queues a message per subscriber, so a publisher never waits for a slow reader).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gochan import Chan, RecvChan

from ._common import Out


@dataclass(frozen=True)
class Job:
    """One delivery (Go: ``amqp.Delivery``). ``body`` is the command, as in the talk (``cmd := j.Body``).

    ``data`` is what the command carries (the colour of the shirts), added so that the output shows
    which of two jobs for the same command is writing.
    """

    body: str
    data: str
    acks: Chan[Job] = field(compare=False, repr=False)

    def ack(self, out: Out, consumer: str) -> None:
        """Acknowledge the delivery (Go: ``j.Ack()``): the broker forgets it."""
        out(f"{consumer}: ack {self.body} {self.data}")
        self.acks.send(self)


@dataclass(frozen=True)
class CancelJob:
    """The cancel broadcast: "consumer ``consumer_id`` now runs ``command``; everyone else, stop it"."""

    command: str
    consumer_id: str


class Broadcaster:
    """A fan-out exchange: :meth:`publish` delivers a copy to every subscription."""

    def __init__(self) -> None:
        self._subs: list[Chan[CancelJob]] = []

    def subscribe(self) -> RecvChan[CancelJob]:
        ch: Chan[CancelJob] = Chan(64)  # the broker's queue for this subscriber
        self._subs.append(ch)
        return ch

    def publish(self, msg: CancelJob) -> None:
        for ch in self._subs:
            ch.send(msg)
