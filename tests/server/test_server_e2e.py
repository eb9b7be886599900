#!/usr/bin/env python3
"""End-to-end tests of `missile serve` and `missile bench` over loopback, with the standard library's HTTP client.

ServerTest covers the issue's acceptance 1 (health, metadata, configuration, JSON and binary inference with results
equal to `missile run` on the same input, load and unload, the metrics scrape) and acceptance 2 (each bad input is
answered with the right 4xx and an {"error": ...} body, while a second tenant is served throughout without a single
failed request). SharedMemoryTest covers the system shared-memory extension (tensors through POSIX shared memory,
Triton's protocol) on a server that allows it, bad registrations and references included. ShutdownTest checks that SIGTERM lets an in-flight request finish and the server exit 0; BenchTest
runs the load generator against a server (closed loop, Poisson, trace file, DISB replay, in-process comparison).

The models are built here with onnx.helper, so each test's input is explicit.
"""
import argparse
import http.client
import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from multiprocessing import shared_memory

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MISSILE = "missile"
DISB_TRACE = pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "data" / "disb-real-trace.json"


def save_model(path, nodes, inputs, outputs, initializers):
    graph = helper.make_graph(nodes, path.stem, inputs, outputs, initializers)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))


def make_models(directory):
    """conv (two outputs), mlp, big (2 MiB of weights) and slow (about a second of matrix products on a CPU)."""
    rng = np.random.default_rng(7)
    f32 = lambda *shape: rng.standard_normal(shape).astype(np.float32)  # noqa: E731
    save_model(directory / "conv.onnx",
               [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv"),
                helper.make_node("Relu", ["c"], ["y"], name="relu"),
                helper.make_node("Sigmoid", ["c"], ["z"], name="sigmoid")],
               [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
               [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 6, 6]),
                helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 4, 6, 6])],
               [numpy_helper.from_array(f32(4, 3, 3, 3), "w"), numpy_helper.from_array(f32(4), "b")])
    save_model(directory / "mlp.onnx",
               [helper.make_node("MatMul", ["x", "w"], ["m"], name="matmul"),
                helper.make_node("Add", ["m", "b"], ["a"], name="add"),
                helper.make_node("Relu", ["a"], ["y"], name="relu")],
               [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 16])],
               [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 8])],
               [numpy_helper.from_array(f32(16, 8), "w"), numpy_helper.from_array(f32(8), "b")])
    save_model(directory / "big.onnx",
               [helper.make_node("MatMul", ["x", "w"], ["y"], name="matmul")],
               [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 512])],
               [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1024])],
               [numpy_helper.from_array(f32(512, 1024), "w")])
    # Ten dependent 1024x1024 products of a 512x1024 matrix: ~11 GFLOP.
    chain = [helper.make_node("MatMul", ["x" if i == 0 else f"h{i}", "w"], [f"h{i + 1}" if i < 9 else "y"],
                              name=f"matmul{i}") for i in range(10)]
    save_model(directory / "slow.onnx", chain,
               [helper.make_tensor_value_info("x", TensorProto.FLOAT, [512, 1024])],
               [helper.make_tensor_value_info("y", TensorProto.FLOAT, [512, 1024])],
               [numpy_helper.from_array((f32(1024, 1024) / 32).astype(np.float32), "w")])


CONFIG = {
    "server": {"port": 0, "http_threads": 32, "max_body_bytes": "4MiB", "keep_alive_timeout_s": 2},
    "policy": "missile",
    "tenants": [
        {"name": "camera", "class": "LS", "vram_quota": "64MiB", "pcie_nice": -5, "sm_min": 8, "sm_max": 64,
         "latency_target_ms": 50},
        {"name": "batch", "class": "BE", "vram_quota": "64MiB"},
        {"name": "tiny", "class": "BE", "vram_quota": "1MiB"},
        {"name": "heavy", "class": "BE", "vram_quota": "256MiB"},
    ],
    "models": [
        {"name": "conv", "tenant": "camera", "path": "conv.onnx"},
        {"name": "mlp", "tenant": "batch", "path": "mlp.onnx"},
        {"name": "conv_b", "tenant": "batch", "path": "conv.onnx", "load": False},
        {"name": "big", "tenant": "tiny", "path": "big.onnx", "load": False},
        {"name": "slow", "tenant": "heavy", "path": "slow.onnx"},
    ],
}


class Server:
    """A `missile serve` process on a free port."""

    def __init__(self, directory, config):
        path = directory / "config.json"
        path.write_text(json.dumps(config))
        self.process = subprocess.Popen([MISSILE, "serve", "--config", str(path)], stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        self.output = []
        deadline = time.time() + 120
        while time.time() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("missile serve exited: " + "".join(self.output) + self.process.stderr.read())
            self.output.append(line)
            match = re.search(r"listening on http://([\d.]+):(\d+)", line)
            if match:
                self.host, self.port = match.group(1), int(match.group(2))
                return
        raise RuntimeError("missile serve did not start: " + "".join(self.output))

    def request(self, method, path, body=None, headers=None, connection=None):
        """(status, headers, body bytes)."""
        own = connection is None
        connection = connection or http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            if own:
                connection.close()

    def json(self, method, path, body=None, headers=None):
        status, response_headers, data = self.request(method, path, body, headers)
        return status, response_headers, json.loads(data)

    def metrics(self):
        status, headers, data = self.request("GET", "/metrics")
        assert status == 200, status
        samples = {}
        for line in data.decode().splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                samples[name] = float(value)
        return samples, data.decode(), headers

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()
        self.process.stderr.close()


def json_request(inputs, **extra):
    return json.dumps({"inputs": inputs, **extra}).encode()


def fp32_input(name, array):
    return {"name": name, "shape": list(array.shape), "datatype": "FP32", "data": array.flatten().tolist()}


def binary_request(tensors, outputs=None, binary_outputs=True):
    """The body and headers of a request with every input binary (tensors: [(name, float32 array)])."""
    header = {"inputs": [{"name": name, "shape": list(a.shape), "datatype": "FP32",
                          "parameters": {"binary_data_size": a.nbytes}} for name, a in tensors]}
    if outputs is not None:
        header["outputs"] = outputs
    elif binary_outputs:
        header["parameters"] = {"binary_data_output": True}
    head = json.dumps(header).encode()
    body = head + b"".join(a.tobytes() for _, a in tensors)
    return body, {"Inference-Header-Content-Length": str(len(head)), "Content-Type": "application/octet-stream"}


def decode_binary_response(headers, body):
    """{output name: array} from a response with the binary extension."""
    length = int(headers["Inference-Header-Content-Length"])
    header = json.loads(body[:length])
    offset, outputs = length, {}
    for output in header["outputs"]:
        if "data" in output:
            outputs[output["name"]] = np.array(output["data"], np.float32).reshape(output["shape"])
            continue
        size = output["parameters"]["binary_data_size"]
        outputs[output["name"]] = np.frombuffer(body[offset:offset + size], np.float32).reshape(output["shape"])
        offset += size
    assert offset == len(body), (offset, len(body))
    return outputs


class BackgroundTenant:
    """Keeps requesting the mlp model (tenant 'batch') on one keep-alive connection; records every failure."""

    def __init__(self, server):
        self.server = server
        self.successes = 0
        self.failures = []
        self.stopping = threading.Event()
        self.x = np.random.default_rng(3).standard_normal((2, 16)).astype(np.float32)
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        connection = http.client.HTTPConnection(self.server.host, self.server.port, timeout=120)
        body = json_request([fp32_input("x", self.x)])
        while not self.stopping.is_set():
            try:
                status, _, data = self.server.request("POST", "/v2/models/mlp/infer", body,
                                                      {"Content-Type": "application/json"}, connection)
                if status == 200 and json.loads(data)["outputs"][0]["shape"] == [2, 8]:
                    self.successes += 1
                else:
                    self.failures.append((status, data[:200]))
            except Exception as error:  # a dropped connection is a failure too
                self.failures.append(("exception", repr(error)))
                connection.close()
                connection = http.client.HTTPConnection(self.server.host, self.server.port, timeout=120)
            time.sleep(0.002)
        connection.close()

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=120)


def wait_for_in_flight(server, request, model):
    """Waits until the request holds the model; fails with the request's own answer if it finished first."""
    key = f'missile_model_requests_in_flight{{model="{model}",tenant="heavy"}}'
    deadline = time.time() + 60
    while time.time() < deadline:
        if not request.thread.is_alive():
            raise AssertionError(f"the request to {model} finished first: {request.status} {request.body[:300]}")
        samples, _, _ = server.metrics()
        if samples.get(key, 0) >= 1:
            return
        time.sleep(0.005)
    raise AssertionError(f"{model} never had a request in flight")


class InFlightRequest:
    """A request to the slow model on a thread; .status once done."""

    def __init__(self, server):
        x = np.ones((512, 1024), np.float32)
        body, headers = binary_request([("x", x)])
        self.status = None
        self.body = b""
        self.thread = threading.Thread(target=self.run, args=(server, body, headers), daemon=True)
        self.thread.start()

    def run(self, server, body, headers):
        self.status, _, self.body = server.request("POST", "/v2/models/slow/infer", body, headers)

    def join(self):
        self.thread.join(timeout=300)
        return self.status


class ServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = pathlib.Path(cls.tmp.name)
        make_models(cls.dir)
        cls.x = np.random.default_rng(11).standard_normal((1, 3, 8, 8)).astype(np.float32)
        np.save(cls.dir / "x.npy", cls.x)
        result = subprocess.run([MISSILE, "run", str(cls.dir / "conv.onnx"), "--backend", "cpu", "--input",
                                 f"x={cls.dir / 'x.npy'}", "--output-dir", str(cls.dir / "reference")],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        cls.reference = {name: np.load(cls.dir / "reference" / f"{name}.npy") for name in ("y", "z")}
        cls.server = Server(cls.dir, CONFIG)
        cls.background = BackgroundTenant(cls.server)

    @classmethod
    def tearDownClass(cls):
        cls.background.stop()
        cls.server.stop()
        cls.tmp.cleanup()

    def assert_error(self, reply, status, fragment):
        code, headers, body = reply
        self.assertEqual(code, status, body)
        self.assertTrue(headers.get("Content-Type", "").startswith("application/json"), headers)
        error = json.loads(body)["error"]
        self.assertIn(fragment, error)

    def infer_json(self, model, body):
        return self.server.request("POST", f"/v2/models/{model}/infer", body, {"Content-Type": "application/json"})

    # Acceptance 1 -------------------------------------------------------------------------------------------------

    def test_health(self):
        self.assertEqual(self.server.json("GET", "/v2/health/live")[::2], (200, {"live": True}))
        self.assertEqual(self.server.json("GET", "/v2/health/ready")[::2], (200, {"ready": True}))

    def test_server_metadata(self):
        status, _, body = self.server.json("GET", "/v2")
        self.assertEqual(status, 200)
        self.assertEqual(body["name"], "missile")
        self.assertIn("binary_tensor_data", body["extensions"])
        self.assertIn("model_repository", body["extensions"])

    def test_model_metadata(self):
        status, _, body = self.server.json("GET", "/v2/models/conv")
        self.assertEqual(status, 200)
        self.assertEqual(body["name"], "conv")
        self.assertEqual(body["inputs"], [{"name": "x", "datatype": "FP32", "shape": [1, 3, 8, 8]}])
        self.assertEqual([o["name"] for o in body["outputs"]], ["y", "z"])
        self.assertEqual(body["outputs"][0]["shape"], [1, 4, 6, 6])
        self.assertEqual(self.server.json("GET", "/v2/models/conv/versions/1")[0], 200)
        self.assert_error(self.server.request("GET", "/v2/models/conv/versions/2"), 404, "no version '2'")
        self.assertEqual(self.server.json("GET", "/v2/models/conv/ready")[::2], (200, {"name": "conv", "ready": True}))

    def test_model_config(self):
        status, _, body = self.server.json("GET", "/v2/models/conv/config")
        self.assertEqual(status, 200)
        self.assertEqual(body["state"], "READY")
        self.assertEqual(body["policy"], "missile")
        # The CPU backend runs on the compute scheduler: the configured policy is the one in effect.
        self.assertEqual(body["policy_in_effect"], "missile")
        self.assertEqual((body["precision"], body["cuda_graph"], body["tf32"]), ("fp32", False, True))
        self.assertEqual(body["tenant"], {"name": "camera", "class": "LS", "vram_quota_bytes": 64 << 20,
                                          "pcie_nice": -5, "sm_min": 8, "sm_max": 64, "latency_target_ms": 50,
                                          "priority": 0,
                                          "l2_setaside": {"mode": "off", "state": "off", "active": False}})
        output = "".join(self.server.output)
        self.assertIn("compute scheduler, policy 'missile', on the CPU device", output)
        # Policy missile would try the L2 set-aside for an LS tenant; the CPU backend has none, and says so.
        self.assertIn("L2 set-aside: unavailable: the cpu backend has no GPU L2 to set aside", output)
        self.assertIn("tenant camera: LS, SM groups [1, 8] (8-64 SMs), priority 0", output)
        vram = body["vram"]
        self.assertEqual(vram["weights_bytes"], (4 * 3 * 3 * 3 + 4) * 4)
        self.assertEqual(vram["io_bytes"], (3 * 8 * 8 + 2 * 4 * 6 * 6) * 4)
        self.assertGreater(vram["arena_bytes"], 0)
        self.assertEqual(vram["total_bytes"], vram["weights_bytes"] + vram["arena_bytes"] + vram["io_bytes"])
        # Declared but not loaded: the configuration is there, the footprint is not.
        status, _, body = self.server.json("GET", "/v2/models/big/config")
        self.assertEqual((status, body["state"], "vram" in body), (200, "UNAVAILABLE", False))

    def test_json_inference_equals_missile_run(self):
        status, headers, data = self.infer_json("conv", json_request([fp32_input("x", self.x)], id="req-7"))
        self.assertEqual(status, 200, data)
        self.assertTrue(headers["Content-Type"].startswith("application/json"))
        body = json.loads(data)
        self.assertEqual((body["model_name"], body["model_version"], body["id"]), ("conv", "1", "req-7"))
        outputs = {o["name"]: np.array(o["data"], np.float32).reshape(o["shape"]) for o in body["outputs"]}
        self.assertEqual(sorted(outputs), ["y", "z"])
        for name, reference in self.reference.items():
            self.assertEqual(outputs[name].shape, reference.shape)
            self.assertTrue(np.array_equal(outputs[name], reference), f"{name} differs from missile run")

    def test_binary_inference_equals_missile_run(self):
        body, headers = binary_request([("x", self.x)])
        status, response_headers, data = self.server.request("POST", "/v2/models/conv/infer", body, headers)
        self.assertEqual(status, 200, data)
        self.assertEqual(response_headers["Content-Type"], "application/octet-stream")
        outputs = decode_binary_response(response_headers, data)
        for name, reference in self.reference.items():
            self.assertEqual(outputs[name].tobytes(), reference.tobytes(), f"{name} differs from missile run")

    def test_requested_outputs_only_in_the_asked_form(self):
        body, headers = binary_request([("x", self.x)], outputs=[{"name": "z", "parameters": {"binary_data": True}}])
        status, response_headers, data = self.server.request("POST", "/v2/models/conv/infer", body, headers)
        self.assertEqual(status, 200, data)
        outputs = decode_binary_response(response_headers, data)
        self.assertEqual(list(outputs), ["z"])
        self.assertEqual(outputs["z"].tobytes(), self.reference["z"].tobytes())
        # Binary inputs, JSON outputs.
        body, headers = binary_request([("x", self.x)], binary_outputs=False)
        status, response_headers, data = self.server.request("POST", "/v2/models/conv/infer", body, headers)
        self.assertEqual(status, 200, data)
        self.assertNotIn("Inference-Header-Content-Length", response_headers)
        y = json.loads(data)["outputs"][0]
        self.assertTrue(np.array_equal(np.array(y["data"], np.float32).reshape(y["shape"]), self.reference["y"]))

    def test_nested_json_data_is_accepted(self):
        nested = {"name": "x", "shape": [1, 3, 8, 8], "datatype": "FP32", "data": self.x.tolist()}
        status, _, data = self.infer_json("conv", json_request([nested]))
        self.assertEqual(status, 200, data)

    def test_load_and_unload(self):
        key = 'missile_tenant_vram_used_bytes{tenant="batch"}'
        before = self.server.metrics()[0][key]
        self.assertEqual(self.server.request("GET", "/v2/models/conv_b/ready")[0], 400)
        self.assert_error(self.infer_json("conv_b", json_request([fp32_input("x", self.x)])), 409, "is not loaded")

        status, _, body = self.server.json("POST", "/v2/repository/models/conv_b/load", b"")
        self.assertEqual((status, body["state"]), (200, "READY"))
        self.assertEqual(self.server.request("GET", "/v2/models/conv_b/ready")[0], 200)
        footprint = self.server.json("GET", "/v2/models/conv_b/config")[2]["vram"]["total_bytes"]
        self.assertEqual(self.server.metrics()[0][key], before + footprint)
        status, _, data = self.infer_json("conv_b", json_request([fp32_input("x", self.x)]))
        self.assertEqual(status, 200, data)
        index = self.server.json("POST", "/v2/repository/index", b"")[2]
        self.assertIn({"name": "conv_b", "version": "1", "state": "READY"}, index)

        status, _, body = self.server.json("POST", "/v2/repository/models/conv_b/unload", b"")
        self.assertEqual((status, body["state"]), (200, "UNAVAILABLE"))
        self.assertEqual(self.server.request("GET", "/v2/models/conv_b/ready")[0], 400)
        self.assertEqual(self.server.metrics()[0][key], before)
        self.assert_error(self.server.request("POST", "/v2/repository/models/nope/load", b""), 404, "unknown model")

    def test_metrics_scrape(self):
        counter = 'missile_inference_requests_total{model="conv",tenant="camera",outcome="success"}'
        before, _, _ = self.server.metrics()
        self.assertEqual(self.infer_json("conv", json_request([fp32_input("x", self.x)]))[0], 200)
        after, text, headers = self.server.metrics()
        self.assertTrue(headers["Content-Type"].startswith("text/plain"))
        self.assertEqual(after[counter], before[counter] + 1)
        self.assertEqual(after['missile_inference_request_seconds_count{model="conv",tenant="camera"}'],
                         after[counter])
        self.assertGreater(after['missile_pcie_bytes_total{tenant="camera",direction="host_to_device"}'], 0)
        self.assertEqual(after['missile_tenant_vram_quota_bytes{tenant="camera"}'], 64 << 20)
        self.assertEqual(after['missile_model_ready{model="big",tenant="tiny"}'], 0)
        self.assertGreater(after["process_resident_memory_bytes"], 0)
        documented = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "server.md").read_text()
        for family in re.findall(r"^# TYPE (\S+) ", text, re.M):
            self.assertIn(f"`{family}`", documented, f"metric {family} is not documented in docs/server.md")

    # Acceptance 2: bad input -------------------------------------------------------------------------------------

    def test_bad_malformed_json(self):
        self.assert_error(self.infer_json("conv", b'{"inputs": [{"name": "x",'), 400, "not valid JSON")

    def test_bad_unknown_model(self):
        self.assert_error(self.infer_json("nope", json_request([fp32_input("x", self.x)])), 404, "unknown model 'nope'")
        self.assert_error(self.server.request("GET", "/v2/models/nope"), 404, "unknown model")
        self.assert_error(self.server.request("GET", "/v3/anything"), 404, "no route")

    def test_bad_tensor_name(self):
        self.assert_error(self.infer_json("conv", json_request([fp32_input("q", self.x)])), 400, "unknown input 'q'")
        self.assert_error(self.infer_json("conv", json_request([fp32_input("x", self.x)], outputs=[{"name": "w"}])),
                          400, "unknown output 'w'")

    def test_bad_shape(self):
        x = np.zeros((1, 3, 9, 9), np.float32)
        self.assert_error(self.infer_json("conv", json_request([fp32_input("x", x)])), 400,
                          "shape [1,3,9,9] does not match the served shape [1,3,8,8]")

    def test_bad_dtype(self):
        tensor = {"name": "x", "shape": [1, 3, 8, 8], "datatype": "INT64", "data": [0] * 192}
        self.assert_error(self.infer_json("conv", json_request([tensor])), 400,
                          "datatype INT64 does not match the model's FP32")
        tensor["datatype"] = "FP64X"
        self.assert_error(self.infer_json("conv", json_request([tensor])), 400, "unknown datatype 'FP64X'")

    def test_bad_element_count(self):
        tensor = {"name": "x", "shape": [1, 3, 8, 8], "datatype": "FP32", "data": [0.5] * 191}
        self.assert_error(self.infer_json("conv", json_request([tensor])), 400,
                          "'data' has 191 elements, but shape [1,3,8,8] needs 192")
        body, headers = binary_request([("x", np.zeros((1, 3, 8, 7), np.float32))])
        body = body.replace(b'"shape": [1, 3, 8, 7]', b'"shape": [1, 3, 8, 8]')
        self.assert_error(self.server.request("POST", "/v2/models/conv/infer", body, headers), 400,
                          "binary_data_size is 672 bytes, but shape [1,3,8,8] of FP32 needs 768 bytes")

    def test_bad_missing_input_and_header(self):
        self.assert_error(self.infer_json("conv", b'{"inputs": []}'), 400, "request.inputs: required")
        body, headers = binary_request([("x", self.x)])
        headers["Inference-Header-Content-Length"] = "twelve"
        self.assert_error(self.server.request("POST", "/v2/models/conv/infer", body, headers), 400,
                          "'twelve' is not a byte count")

    def test_bad_body_over_the_limit(self):
        body = b" " * (4 << 20) + b"{}"  # two bytes over the 4 MiB limit
        self.assert_error(self.server.request("POST", "/v2/models/conv/infer", body,
                                              {"Content-Type": "application/json"}),
                          413, "larger than the server's limit of 4.0 MiB")

    def test_bad_truncated_binary_payload(self):
        body, headers = binary_request([("x", self.x)])
        self.assert_error(self.server.request("POST", "/v2/models/conv/infer", body[:-100], headers), 400,
                          "binary data truncated: binary_data_size is 768 bytes, but only 668")

    def test_bad_quota_overrun_at_load(self):
        samples, _, _ = self.server.metrics()
        used_before = {name: value for name, value in samples.items() if name.startswith("missile_tenant_vram_used")}
        self.assert_error(self.server.request("POST", "/v2/repository/models/big/load", b""), 409,
                          "tenant 'tiny' VRAM quota exceeded: model 'big' needs 2.0 MiB")
        status, _, body = self.server.json("GET", "/v2/models/big/config")
        self.assertEqual(body["state"], "UNAVAILABLE")
        self.assertIn("VRAM quota exceeded", body["reason"])
        samples, _, _ = self.server.metrics()
        self.assertEqual({n: v for n, v in samples.items() if n.startswith("missile_tenant_vram_used")}, used_before)
        self.assertEqual(self.server.request("GET", "/v2/models/conv/ready")[0], 200)

    def test_bad_unload_of_a_model_in_use(self):
        request = InFlightRequest(self.server)
        wait_for_in_flight(self.server, request, "slow")
        self.assert_error(self.server.request("POST", "/v2/repository/models/slow/unload", b""), 409,
                          "model 'slow' is in use: 1 request in flight")
        self.assertEqual(request.join(), 200)
        self.assertEqual(self.server.json("POST", "/v2/repository/models/slow/unload", b"")[0], 200)
        self.assertEqual(self.server.json("POST", "/v2/repository/models/slow/load", b"")[0], 200)

    # The HTTP transport: what clients other than Python's http.client do ------------------------------------------

    def raw_exchange(self, payload, responses=1, send_after_first=None):
        """Sends raw bytes on a new connection; returns [(status, headers, body)] for `responses` responses (an
        interim 100 Continue counts as one, with send_after_first sent once it has arrived)."""
        with socket.create_connection((self.server.host, self.server.port), timeout=60) as sock:
            sock.sendall(payload)
            reader = sock.makefile("rb")
            answers = []
            while len(answers) < responses:
                status_line = reader.readline().decode()
                if not status_line:
                    break
                headers = {}
                for line in iter(reader.readline, b"\r\n"):
                    name, value = line.decode().split(":", 1)
                    headers[name.strip()] = value.strip()
                length = next((int(v) for k, v in headers.items() if k.lower() == "content-length"), 0)
                body = reader.read(length)
                answers.append((int(status_line.split()[1]), headers, body))
                if send_after_first is not None and len(answers) == 1:
                    sock.sendall(send_after_first)
            return answers

    def test_transport_pipelined_requests_are_answered_in_order(self):
        answers = self.raw_exchange(b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n"
                                    b"GET /v2/models/conv/ready HTTP/1.1\r\nHost: x\r\n\r\n"
                                    b"GET /v3/nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 3)
        self.assertEqual([a[0] for a in answers], [200, 200, 404])
        self.assertEqual(json.loads(answers[0][2]), {"live": True})
        self.assertEqual(json.loads(answers[1][2])["ready"], True)
        self.assertEqual(answers[2][1]["Connection"], "close")

    def test_transport_chunked_binary_request(self):
        body, headers = binary_request([("x", self.x)])
        connection = http.client.HTTPConnection(self.server.host, self.server.port, timeout=120)
        try:
            connection.request("POST", "/v2/models/conv/infer", body=iter([body[:100], body[100:500], body[500:]]),
                               headers={**headers, "Transfer-Encoding": "chunked"}, encode_chunked=True)
            response = connection.getresponse()
            data = response.read()
            self.assertEqual(response.status, 200, data)
            outputs = decode_binary_response(dict(response.getheaders()), data)
        finally:
            connection.close()
        for name in ("y", "z"):
            np.testing.assert_array_equal(outputs[name], self.reference[name])

    def test_transport_expect_continue(self):
        body, headers = binary_request([("x", self.x)])
        head = ("POST /v2/models/conv/infer HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                f"Content-Length: {len(body)}\r\n"
                + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode()
        answers = self.raw_exchange(head, 2, send_after_first=body)
        self.assertEqual([a[0] for a in answers], [100, 200], answers[-1][2][:300])
        outputs = decode_binary_response(answers[1][1], answers[1][2])
        np.testing.assert_array_equal(outputs["y"], self.reference["y"])
        # Over the limit: refused at once, without asking for the body.
        head = (b"POST /v2/models/conv/infer HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                b"Content-Length: 5000000\r\nContent-Type: application/json\r\n\r\n")
        self.assert_error(self.raw_exchange(head)[0], 413, "larger than the server's limit of 4.0 MiB")

    def test_transport_malformed_request_is_answered_400(self):
        self.assert_error(self.raw_exchange(b"NOT HTTP AT ALL\r\n\r\n")[0], 400, "malformed HTTP request")
        self.assert_error(self.raw_exchange(b"POST /v2/models/conv/infer HTTP/1.1\r\nContent-Length: x\r\n\r\n")[0],
                          400, "malformed HTTP request")

    def test_bad_shared_memory_when_the_extension_is_off(self):
        self.assertNotIn("system_shared_memory", self.server.json("GET", "/v2")[2]["extensions"])
        body = json.dumps({"key": "/whatever", "offset": 0, "byte_size": 64}).encode()
        self.assert_error(self.server.request("POST", "/v2/systemsharedmemory/region/r/register", body), 400,
                          "allow_client_shared_memory")
        self.assert_error(self.server.request("GET", "/v2/systemsharedmemory/status"), 400, "extension is off")
        self.assert_error(self.infer_json("conv", shared_memory_request([("x", self.x, "r", 0)], [])), 400,
                          "not enabled")

    def test_zz_second_tenant_was_served_throughout(self):
        # Named to run last: every test above ran while the background tenant kept sending requests.
        self.background.stop()
        self.assertEqual(self.background.failures, [])
        self.assertGreater(self.background.successes, 10)
        samples, _, _ = self.server.metrics()
        for outcome in ("invalid_input", "model_unavailable", "execution_error"):
            self.assertEqual(samples[f'missile_inference_requests_total{{model="mlp",tenant="batch",outcome="{outcome}"}}'],
                             0, outcome)


def shared_memory_request(inputs, outputs):
    """A JSON-only request whose inputs ([(name, array, region, offset)]) and outputs ([(name, region, offset, size)])
    live in shared-memory regions."""
    header = {"inputs": [{"name": name, "shape": list(a.shape), "datatype": "FP32",
                          "parameters": {"shared_memory_region": region, "shared_memory_offset": offset,
                                         "shared_memory_byte_size": a.nbytes}} for name, a, region, offset in inputs]}
    if outputs:
        header["outputs"] = [{"name": name, "parameters": {"shared_memory_region": region, "shared_memory_offset": offset,
                                                           "shared_memory_byte_size": size}}
                             for name, region, offset, size in outputs]
    return json.dumps(header).encode()


class SharedMemoryTest(unittest.TestCase):
    """A server with server.allow_client_shared_memory: regions registered, used for inputs and outputs, listed and
    unregistered; every bad registration or reference answered with a 4xx while the other tenant is served."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = pathlib.Path(cls.tmp.name)
        make_models(cls.dir)
        config = json.loads(json.dumps(CONFIG))
        config["server"]["allow_client_shared_memory"] = True
        cls.server = Server(cls.dir, config)
        cls.background = BackgroundTenant(cls.server)
        cls.x = np.random.default_rng(5).standard_normal((1, 3, 8, 8)).astype(np.float32)
        # Input at 0, outputs y and z (144 floats each) at 4096 and 8192.
        cls.shm = shared_memory.SharedMemory(create=True, size=3 * 4096)
        cls.key = "/" + cls.shm.name
        np.ndarray(cls.x.shape, np.float32, cls.shm.buf, 0)[...] = cls.x
        status, headers, body = cls.server.request("POST", "/v2/models/conv/infer", *binary_request([("x", cls.x)]))
        assert status == 200, body
        cls.reference = decode_binary_response(headers, body)

    @classmethod
    def tearDownClass(cls):
        cls.background.stop()
        cls.server.stop()
        cls.shm.close()
        cls.shm.unlink()
        cls.tmp.cleanup()

    def register(self, name, key=None, offset=0, byte_size=3 * 4096):
        body = json.dumps({"key": key or self.key, "offset": offset, "byte_size": byte_size}).encode()
        return self.server.request("POST", f"/v2/systemsharedmemory/region/{name}/register", body,
                                   {"Content-Type": "application/json"})

    def unregister(self, name):
        return self.server.request("POST", f"/v2/systemsharedmemory/region/{name}/unregister")

    def infer(self, body):
        return self.server.request("POST", "/v2/models/conv/infer", body, {"Content-Type": "application/json"})

    def assert_error(self, reply, status, fragment):
        ServerTest.assert_error(self, reply, status, fragment)

    def test_inputs_and_outputs_through_shared_memory(self):
        self.assertEqual(self.register("io")[0], 200)
        try:
            self.shm.buf[4096:3 * 4096] = bytes(2 * 4096)
            status, _, body = self.infer(shared_memory_request([("x", self.x, "io", 0)],
                                                               [("y", "io", 4096, 576), ("z", "io", 8192, 576)]))
            self.assertEqual(status, 200, body)
            outputs = {o["name"]: o for o in json.loads(body)["outputs"]}
            for name, offset in (("y", 4096), ("z", 8192)):
                self.assertNotIn("data", outputs[name])
                self.assertEqual(outputs[name]["parameters"]["shared_memory_region"], "io")
                self.assertEqual(outputs[name]["parameters"]["shared_memory_byte_size"], 576)
                written = np.ndarray((1, 4, 6, 6), np.float32, self.shm.buf, offset).copy()
                np.testing.assert_array_equal(written, self.reference[name])
            # An input in shared memory with the output in the body, at an offset that is not 64-byte aligned.
            np.ndarray(self.x.shape, np.float32, self.shm.buf, 100)[...] = self.x
            status, headers, body = self.infer(shared_memory_request(
                [("x", self.x, "io", 100)], []).replace(b'"inputs"', b'"parameters": {"binary_data_output": true}, "inputs"'))
            self.assertEqual(status, 200, body)
            np.testing.assert_array_equal(decode_binary_response(headers, body)["y"], self.reference["y"])
        finally:
            self.assertEqual(self.unregister("io")[0], 200)

    def test_status_lists_regions_and_unregister_forgets_them(self):
        self.assertEqual(self.register("listed", offset=4096, byte_size=4096)[0], 200)
        status, _, regions = self.server.json("GET", "/v2/systemsharedmemory/region/listed/status")
        self.assertEqual((status, regions), (200, [{"name": "listed", "key": self.key, "offset": 4096,
                                                     "byte_size": 4096}]))
        status, _, regions = self.server.json("GET", "/v2/systemsharedmemory/status")
        self.assertIn("listed", [r["name"] for r in regions])
        self.assertEqual(self.unregister("listed")[0], 200)
        self.assert_error(self.server.request("GET", "/v2/systemsharedmemory/region/listed/status"), 404, "listed")
        self.assert_error(self.unregister("listed"), 404, "no shared-memory region 'listed'")
        # A request naming the region now is refused, not served from stale memory.
        self.assert_error(self.infer(shared_memory_request([("x", self.x, "listed", 0)], [])), 400,
                          "no shared-memory region 'listed'")

    def test_unregister_all(self):
        for name in ("a1", "a2"):
            self.assertEqual(self.register(name)[0], 200)
        self.assertEqual(self.server.request("POST", "/v2/systemsharedmemory/unregister")[0], 200)
        self.assertEqual(self.server.json("GET", "/v2/systemsharedmemory/status")[2], [])

    def test_extension_is_announced(self):
        self.assertIn("system_shared_memory", self.server.json("GET", "/v2")[2]["extensions"])

    def test_bad_registrations(self):
        self.assert_error(self.register("nokey", key="/missile-test-no-such-object"), 400, "cannot open")
        self.assert_error(self.register("badkey", key="no-slash"), 400, "must be '/'")
        self.assert_error(self.register("past", offset=4096, byte_size=3 * 4096), 400, "lies past its end")
        self.assert_error(self.register("zero", byte_size=0), 400, "byte_size")
        self.assert_error(self.server.request("POST", "/v2/systemsharedmemory/region/j/register", b"{",
                                              {"Content-Type": "application/json"}), 400, "register")
        self.assertEqual(self.register("twice")[0], 200)
        try:
            self.assert_error(self.register("twice"), 409, "registered already")
        finally:
            self.unregister("twice")

    def test_bad_references(self):
        self.assertEqual(self.register("small", byte_size=4096)[0], 200)
        try:
            self.assert_error(self.infer(shared_memory_request([("x", self.x, "nope", 0)], [])), 400,
                              "no shared-memory region 'nope'")
            self.assert_error(self.infer(shared_memory_request([("x", self.x, "small", 4000)], [])), 400,
                              "lies past its end")
            wrong_size = json.loads(shared_memory_request([("x", self.x, "small", 0)], []))
            wrong_size["inputs"][0]["parameters"]["shared_memory_byte_size"] = 100
            self.assert_error(self.infer(json.dumps(wrong_size).encode()), 400, "shared_memory_byte_size is 100")
            no_size = json.loads(shared_memory_request([("x", self.x, "small", 0)], []))
            del no_size["inputs"][0]["parameters"]["shared_memory_byte_size"]
            self.assert_error(self.infer(json.dumps(no_size).encode()), 400, "must be given together")
            both = json.loads(shared_memory_request([("x", self.x, "small", 0)], []))
            both["inputs"][0]["data"] = self.x.flatten().tolist()
            self.assert_error(self.infer(json.dumps(both).encode()), 400, "one way")
            self.assert_error(self.infer(shared_memory_request([("x", self.x, "small", 0)], [("y", "small", 0, 100)])),
                              400, "too small")
            self.assert_error(self.infer(shared_memory_request([("x", self.x, "small", 0)], [("y", "small", 4000, 576)])),
                              400, "lies past its end")
        finally:
            self.unregister("small")

    def test_bench_passes_tensors_through_shared_memory(self):
        out = self.dir / "bench-shm"
        result = subprocess.run([MISSILE, "bench", "--quiet", "--url", f"http://{self.server.host}:{self.server.port}",
                                 "--model", "conv", "--closed", "2", "--duration", "1.5", "--shared-memory",
                                 "--fail-on-error", "--out", str(out)], capture_output=True, text=True, timeout=300)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertGreater(json.loads((out / "results.json").read_text())["http"]["streams"][0]["ok"], 0)
        self.assertIn("shared memory", result.stdout)
        # Each connection unregistered its region and removed its object.
        names = [r["name"] for r in self.server.json("GET", "/v2/systemsharedmemory/status")[2]]
        self.assertEqual([n for n in names if n.startswith("missile-bench-")], [])
        self.assertEqual([f for f in os.listdir("/dev/shm") if f.startswith("missile-bench-")], [])

    def test_zz_second_tenant_was_served_throughout(self):
        self.background.stop()
        self.assertEqual(self.background.failures, [])
        self.assertGreater(self.background.successes, 10)


class ShutdownTest(unittest.TestCase):
    def test_sigterm_finishes_the_request_in_flight_and_exits_zero(self):
        with tempfile.TemporaryDirectory() as tmp:
            directory = pathlib.Path(tmp)
            make_models(directory)
            server = Server(directory, CONFIG)
            try:
                request = InFlightRequest(server)
                wait_for_in_flight(server, request, "slow")
                server.process.send_signal(signal.SIGTERM)
                self.assertEqual(request.join(), 200)
                self.assertEqual(server.process.wait(timeout=60), 0)
                output = "".join(server.output) + server.process.stdout.read()
                self.assertIn("SIGTERM received", output)
                self.assertIn("missile serve: stopped", output)
            finally:
                server.stop()


class ConfigurationTest(unittest.TestCase):
    def test_gpu_settings_the_cpu_backend_cannot_honour_are_refused(self):
        with tempfile.TemporaryDirectory() as tmp:
            directory = pathlib.Path(tmp)
            make_models(directory)
            config = json.loads(json.dumps(CONFIG))
            config["models"][0]["precision"] = "fp16"
            path = directory / "config.json"
            path.write_text(json.dumps(config))
            for command in (["serve", "--config", str(path)],
                            ["bench", "--mode", "inproc", "--config", str(path), "--model", "conv", "--closed", "1",
                             "--duration", "1", "--quiet"]):
                result = subprocess.run([MISSILE, *command], capture_output=True, text=True, timeout=120)
                self.assertNotEqual(result.returncode, 0, command)
                self.assertIn("model 'conv': precision fp16 needs the CUDA backend", result.stdout + result.stderr,
                              command)


class BenchTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = pathlib.Path(cls.tmp.name)
        make_models(cls.dir)
        cls.server = Server(cls.dir, CONFIG)
        cls.url = f"http://{cls.server.host}:{cls.server.port}"

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.tmp.cleanup()

    def bench(self, *args, expect_rc=0):
        result = subprocess.run([MISSILE, "bench", "--quiet", *map(str, args)], capture_output=True, text=True,
                                timeout=300)
        self.assertEqual(result.returncode, expect_rc, result.stdout + result.stderr)
        return result

    def test_several_streams_each_with_its_pattern(self):
        (self.dir / "trace.txt").write_text("# ms\n" + "\n".join(str(40 * i) for i in range(40)) + "\n")
        (self.dir / "workload.json").write_text(json.dumps({"duration_s": 3, "warmup_s": 0.5, "streams": [
            {"name": "poisson", "model": "conv", "pattern": {"type": "poisson", "rate": 40, "seed": 5},
             "max_outstanding": 8},
            {"name": "closed", "model": "mlp", "pattern": {"type": "closed", "concurrency": 2}},
            {"name": "trace", "model": "conv", "pattern": {"type": "trace", "file": "trace.txt", "unit": "ms"},
             "max_outstanding": 8}]}))
        out = self.dir / "run"
        self.bench("--url", self.url, "--workload", self.dir / "workload.json", "--out", out, "--fail-on-error")
        results = json.loads((out / "results.json").read_text())
        streams = {s["name"]: s for s in results["http"]["streams"]}
        self.assertEqual(sorted(streams), ["closed", "poisson", "trace"])
        for stream in streams.values():
            self.assertEqual(stream["failed"], 0, stream)
            self.assertGreater(stream["ok"], 0)
            latency = stream["latency_ms"]
            self.assertLessEqual(latency["p50"], latency["p90"])
            self.assertLessEqual(latency["p99"], latency["p99.9"])
        # The trace's 40 arrivals 40 ms apart; those after the 0.5 s warmup are measured.
        self.assertEqual(streams["trace"]["requests"], 40 - 13)
        for plot in ("latency-cdf.svg", "throughput.svg"):
            svg = (out / plot).read_text()
            self.assertEqual(svg.count("<polyline"), 3)
        self.assertIn("| poisson | conv |", (out / "summary.md").read_text())

    def test_in_process_and_http_comparison(self):
        out = self.dir / "both"
        result = self.bench("--mode", "both", "--config", self.dir / "config.json", "--url", self.url, "--model",
                            "conv", "--closed", "1", "--duration", "1.5", "--out", out)
        self.assertIn("what serving adds", result.stdout)
        results = json.loads((out / "results.json").read_text())
        self.assertGreater(results["inproc"]["streams"][0]["ok"], 0)
        self.assertGreater(results["http"]["streams"][0]["ok"], 0)
        self.assertIn("p50_us", results["overhead_us"]["conv"])
        self.assertTrue((out / "inproc-latency-cdf.svg").exists() and (out / "http-throughput.svg").exists())

    def test_rounds_alternate_in_process_and_http(self):
        out = self.dir / "rounds"
        result = self.bench("--mode", "both", "--config", self.dir / "config.json", "--url", self.url, "--model",
                            "conv", "--closed", "1", "--duration", "1.4", "--warmup", "0.2", "--rounds", "3",
                            "--socket-buffer-bytes", "65536", "--out", out)
        starts = [line for line in result.stderr.splitlines() if "streams against" in line]
        self.assertEqual(len(starts), 6, result.stderr)
        for i, line in enumerate(starts):
            self.assertIn("in-process" if i % 2 == 0 else "http://", line)
            self.assertIn(f"round {i // 2 + 1} of 3", line)
        results = json.loads((out / "results.json").read_text())
        self.assertEqual(results["options"]["rounds"], 3)
        self.assertEqual(results["options"]["socket_buffer_bytes"], 65536)
        for target in ("inproc", "http"):
            stream = results[target]["streams"][0]
            self.assertGreater(stream["ok"], 0)
            self.assertEqual(stream["failed"], 0)
            # Three rounds of 0.4 measured seconds read as one run of 0.2 + 1.2 s.
            self.assertAlmostEqual(results[target]["duration_s"], 1.4)
        trace = self.dir / "rounds-trace.txt"
        trace.write_text("0\n0.1\n")
        refused = self.bench("--url", self.url, "--model", "conv", "--trace", trace, "--trace-unit", "s",
                             "--rounds", "2", expect_rc=2)
        self.assertIn("--rounds", refused.stderr)
        self.assertIn("cannot be split into rounds", refused.stderr)

    def test_timeline_lines_up_the_servers_timestamps(self):
        out = self.dir / "timeline"
        result = self.bench("--url", self.url, "--model", "conv", "--closed", "1", "--duration", "1",
                            "--timeline", "--out", out)
        self.assertIn("HTTP timeline over", result.stdout)
        results = json.loads((out / "results.json").read_text())
        timeline = results["http_timeline"]
        self.assertGreater(timeline["exchanges"], 0)
        phases = timeline["phases_us"]
        for phase in ("client_send", "server_header", "server_body", "server_handling", "response_return"):
            self.assertGreaterEqual(phases[phase]["p50"], 0, phase)
        # The server ran the model between its body and its response; the client saw all of it.
        self.assertGreater(phases["server_handling"]["p50"], 0)
        self.assertLess(phases["server_handling"]["p50"], phases["total"]["p50"])
        self.assertLess(phases["server_header"]["p50"], phases["total"]["p50"])
        # The inference route marks its steps between the body and the reply.
        for phase in ("server_decoded", "server_ran", "server_encoded", "server_reply"):
            self.assertIn(phase, phases)
        self.assertEqual(timeline["order"][:4], ["client_send", "server_header", "server_body", "server_handling"])
        # Any request that asks gets them, in order; one that does not, none.
        _, headers, _ = self.server.request("GET", "/v2/health/live", headers={"Missile-Timestamps": "1"})
        stamps = [field.split("=") for field in headers["Missile-Timestamps"].split(" ")]
        self.assertEqual([name for name, _ in stamps], ["head", "body", "reply"])
        times = [int(ns) for _, ns in stamps]
        self.assertEqual(times, sorted(times))
        _, headers, _ = self.server.request("GET", "/v2/health/live")
        self.assertNotIn("missile-timestamps", {k.lower() for k in headers})

    @unittest.skipUnless(DISB_TRACE.exists(), "the shared DISB trace is not next to this checkout")
    def test_disb_replay(self):
        maps = [f"--map={m}=conv" for m in ("resnet152-imagenet", "densenet201-imagenet", "vgg19-imagenet",
                                             "inceptionv3-imagenet")] + ["--map=distilbert=mlp"]
        out = self.dir / "disb"
        # At most 4 connections per trace stream: with the BE loops, fewer than the server's 32 connection threads.
        self.bench("--url", self.url, "--disb", DISB_TRACE, *maps, "--time-scale", "0.1", "--max-outstanding", 4,
                   "--out", out)
        results = json.loads((out / "results.json").read_text())
        streams = {s["name"]: s for s in results["http"]["streams"]}
        self.assertEqual(len(streams), 10)
        self.assertEqual(streams["vgg19_rt"]["requests"], 560)
        self.assertEqual(streams["distilbert_rt"]["model"], "mlp")
        self.assertEqual(sum(s["failed"] for s in streams.values()), 0)

    def test_bad_arguments_are_refused(self):
        result = self.bench("--url", self.url, "--model", "conv", expect_rc=2)
        self.assertIn("exactly one of --closed N, --poisson RATE, --trace FILE", result.stderr)
        result = self.bench("--url", self.url, "--model", "nope", "--closed", "1", "--duration", "1", expect_rc=1)
        self.assertIn("model 'nope'", result.stderr)


def main():
    global MISSILE
    parser = argparse.ArgumentParser()
    parser.add_argument("--missile", required=True)
    args, rest = parser.parse_known_args()
    MISSILE = args.missile
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
