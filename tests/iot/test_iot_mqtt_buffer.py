"""The buffered broker connection: paho's byte-at-a-time reads served from one socket read."""

from __future__ import annotations

import socket
import threading

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from smartcity.iot.mqtt import Broker, BufferedSocket, connect, new_client
from tests.iot.mqtt_support import Mosquitto, wait_until


@pytest.fixture
def pair():  # type: ignore[no-untyped-def]
    """A connected pair of sockets: (the one we write, the one read through a BufferedSocket)."""
    writer, reader = socket.socketpair()
    reader.setblocking(False)
    yield writer, BufferedSocket(reader)
    writer.close()
    reader.close()


def test_small_reads_come_from_one_socket_read(pair) -> None:  # type: ignore[no-untyped-def]
    writer, buffered = pair
    writer.sendall(b"\x30\x05hello\x30\x05world")
    assert buffered.recv(1) == b"\x30"
    assert buffered.pending() == 13  # the rest was read with the first byte
    assert buffered.recv(1) == b"\x05"
    assert buffered.recv(5) == b"hello"
    assert buffered.recv(100) == b"\x30\x05world"  # a read past the buffer returns what it holds
    assert buffered.pending() == 0
    with pytest.raises(BlockingIOError):  # empty and nothing sent: as a non-blocking socket says
        buffered.recv(1)


def test_a_read_as_large_as_what_came_is_not_buffered(pair) -> None:  # type: ignore[no-untyped-def]
    writer, buffered = pair
    writer.sendall(b"abc")
    wait_until(lambda: _readable(buffered), timeout=2)
    assert buffered.recv(10) == b"abc"
    assert buffered.pending() == 0


def test_the_end_of_the_connection_is_an_empty_read(pair) -> None:  # type: ignore[no-untyped-def]
    writer, buffered = pair
    writer.sendall(b"xy")
    writer.shutdown(socket.SHUT_WR)
    wait_until(lambda: _readable(buffered), timeout=2)
    assert buffered.recv(1) == b"x"
    assert buffered.recv(1) == b"y"
    assert buffered.recv(1) == b""


def test_everything_else_is_the_wrapped_sockets(pair) -> None:  # type: ignore[no-untyped-def]
    _writer, buffered = pair
    assert buffered.fileno() == buffered._sock.fileno()
    assert buffered.gettimeout() == 0.0


def _readable(buffered: BufferedSocket) -> bool:
    import select

    return bool(select.select([buffered], [], [], 0)[0])


def test_a_backlog_arrives_whole_in_few_socket_reads(tmp_path) -> None:  # type: ignore[no-untyped-def]
    broker = Mosquitto(tmp_path, extra="max_inflight_messages 10000\nmax_queued_messages 100000\n")
    broker.start()
    try:
        _drain_a_backlog(Broker("127.0.0.1", broker.port), count=3000)
    finally:
        broker.stop()


def _drain_a_backlog(broker: Broker, count: int) -> None:
    """Subscribe with a persistent session, leave, have `count` messages queued, come back and drain them."""
    received: list[bytes] = []
    subscribed = threading.Event()

    def on_message(client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        received.append(message.payload)
        client.ack(message.mid, message.qos)

    client = new_client("buffer-test", broker)
    client.on_connect = lambda c, *_: c.subscribe("city/streetlight/+/telemetry", qos=1)
    client.on_subscribe = lambda *_: subscribed.set()
    client.on_message = on_message
    connect(client, broker)
    client.loop_start()
    assert subscribed.wait(10)
    client.disconnect()
    client.loop_stop()
    _publish(broker, count)
    connect(client, broker)
    reads = _count_socket_reads(client)
    client.loop_start()
    try:
        assert wait_until(lambda: len(received) == count, timeout=30), f"{len(received)} of {count}"
    finally:
        client.disconnect()
        client.loop_stop()
    assert received == [b"%d" % n for n in range(count)]  # all of them, in order, each once
    # unbuffered, paho reads every message with three system calls or more
    assert reads[0] < count / 3, f"{reads[0]} socket reads for {count} messages"


def _publish(broker: Broker, count: int) -> None:
    publisher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="buffer-pub", protocol=mqtt.MQTTv5)
    publisher.connect(broker.host, broker.port)
    publisher.loop_start()
    infos = [publisher.publish("city/streetlight/SL-1/telemetry", b"%d" % n, qos=1) for n in range(count)]
    for info in infos:
        info.wait_for_publish(timeout=30)
    publisher.disconnect()
    publisher.loop_stop()


def _count_socket_reads(client: mqtt.Client) -> list[int]:
    """Count the reads the BufferedSocket makes of the real socket (a list of one counter)."""
    buffered = client._sock
    assert isinstance(buffered, BufferedSocket)
    inner, reads = buffered._sock, [0]

    class Counting:
        def recv(self, size: int) -> bytes:
            reads[0] += 1
            return inner.recv(size)

        def __getattr__(self, name: str) -> object:
            return getattr(inner, name)

    buffered._sock = Counting()
    return reads
