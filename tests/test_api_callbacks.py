"""keras.callbacks.RemoteMonitor: the requests it sends equal Keras' (form field or JSON body), checked on a
server on 127.0.0.1 that this test starts and stops; an unreachable server is a warning."""
import http.server
import json
import threading
import urllib.parse

import numpy as np
import pytest

import tfkg_graph
from tfkg_graph import callbacks


@pytest.fixture
def server():
    received = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, self.headers["Content-Type"], self.headers.get("X-Run"), body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass
    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", received
    httpd.shutdown()
    httpd.server_close()


def _decoded(entry):
    path, content_type, run, body = entry
    if content_type.startswith("application/json"):
        return path, "json", run, json.loads(body)
    return path, "form", run, {k: json.loads(v[0]) for k, v in urllib.parse.parse_qs(body.decode()).items()}


@pytest.mark.parametrize("send_as_json", [False, True])
def test_remote_monitor_sends_what_keras_sends(keras, server, send_as_json):
    root, received = server
    logs = {"loss": np.float32(0.25), "accuracy": 0.5}
    for lib in (keras, tfkg_graph):
        lib.callbacks.RemoteMonitor(root=root, path="/epochs/", field="metrics", headers={"X-Run": "r1"},
                                    send_as_json=send_as_json).on_epoch_end(3, logs)
    assert len(received) == 2
    assert _decoded(received[1]) == _decoded(received[0])


def test_remote_monitor_during_fit_and_unreachable_server(server):
    root, received = server
    model = tfkg_graph.Sequential([tfkg_graph.layers.Input((2,)), tfkg_graph.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((4, 2), np.float32), np.ones((4, 1), np.float32), epochs=2, verbose=0,
              callbacks=[callbacks.RemoteMonitor(root=root)])
    sent = [_decoded(r)[3]["data"] for r in received]
    assert [s["epoch"] for s in sent] == [0, 1] and all("loss" in s for s in sent)
    with pytest.warns(UserWarning, match="Could not reach"):
        callbacks.RemoteMonitor(root="http://127.0.0.1:9", timeout=2).on_epoch_end(0, {})
