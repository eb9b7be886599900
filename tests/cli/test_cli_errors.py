#!/usr/bin/env python3
"""Bad input to `missile run` (and `profile`, `simulate`) gives one line on stderr that names the problem, a non-zero
exit, and no crash.

Each test builds the faulty input itself (with onnx.helper and numpy), so the cases are explicit and independent.
"""
import argparse
import json
import pathlib
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MISSILE = "missile"


def conv_model(op_type="Conv", domain="", opset=17):
    """x[1,3,8,8] -> <op_type> (node 'features.conv') -> y; the smallest realistic model."""
    weight = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32), "weight")
    node = helper.make_node(op_type, ["x", "weight"], ["y"], name="features.conv", domain=domain)
    graph = helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 6, 6])], [weight])
    imports = [helper.make_opsetid("", opset)] + ([helper.make_opsetid(domain, 1)] if domain else [])
    return helper.make_model(graph, opset_imports=imports)


class CliTestBase(unittest.TestCase):
    """A temporary folder with a small model and an input for it; the one-line error check."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = pathlib.Path(self.tmp.name)
        self.model = self.save(conv_model(), "model.onnx")
        self.x = self.npy("x.npy", np.zeros((1, 3, 8, 8), np.float32))

    def tearDown(self):
        self.tmp.cleanup()

    def save(self, model, name):
        path = self.dir / name
        onnx.save(model, str(path))
        return path

    def npy(self, name, array):
        path = self.dir / name
        np.save(path, array)
        return path

    def assert_fails_with(self, result, *fragments):
        self.assertNotEqual(result.returncode, 0, result.stdout)
        self.assertLess(result.returncode, 128, "killed by a signal: " + result.stderr)
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, f"expected one line, got: {result.stderr!r}")
        self.assertTrue(lines[0].startswith("missile: error: "), lines[0])
        for fragment in fragments:
            self.assertIn(fragment, lines[0])


class CliErrorTest(CliTestBase):
    def run_missile(self, *args):
        return subprocess.run([MISSILE, "run", *map(str, args), "--backend", "cpu"], capture_output=True, text=True,
                              timeout=120)

    def test_valid_model_runs(self):
        result = self.run_missile(self.model, "--input", f"x={self.x}", "--output-dir", self.dir / "out")
        self.assertEqual(result.returncode, 0, result.stderr)
        y = np.load(self.dir / "out" / "y.npy")
        self.assertEqual(y.shape, (1, 4, 6, 6))

    def test_unsupported_operator_names_operator_and_node(self):
        # Einsum is valid ONNX that Missile does not implement.
        model = conv_model()
        model.graph.node[0].op_type = "Einsum"
        del model.graph.node[0].input[:]
        model.graph.node[0].input.extend(["x", "weight"])
        model.graph.node[0].attribute.extend([helper.make_attribute("equation", "nchw,ochw->no")])
        result = self.run_missile(self.save(model, "einsum.onnx"), "--input", f"x={self.x}")
        self.assert_fails_with(result, "unsupported operator 'Einsum'", "features.conv")

    def test_custom_domain_operator_is_reported(self):
        result = self.run_missile(self.save(conv_model("FusedConv", "com.example"), "custom.onnx"),
                                  "--input", f"x={self.x}")
        self.assert_fails_with(result, "FusedConv", "com.example", "features.conv")

    def test_truncated_model(self):
        data = self.model.read_bytes()
        for cut in (len(data) // 2, len(data) - 7, 20):
            path = self.dir / f"truncated{cut}.onnx"
            path.write_bytes(data[:cut])
            result = self.run_missile(path, "--input", f"x={self.x}")
            self.assert_fails_with(result, str(path))

    def test_garbage_file(self):
        path = self.dir / "garbage.onnx"
        path.write_bytes(b"this is not a protobuf \xff\xfe" * 10)
        self.assert_fails_with(self.run_missile(path, "--input", f"x={self.x}"), "garbage.onnx")

    def test_missing_model_file(self):
        self.assert_fails_with(self.run_missile(self.dir / "nope.onnx", "--input", f"x={self.x}"), "cannot open",
                               "nope.onnx")

    def test_unsupported_opset(self):
        result = self.run_missile(self.save(conv_model(opset=9), "old.onnx"), "--input", f"x={self.x}")
        self.assert_fails_with(result, "opset 9")

    def test_missing_input(self):
        self.assert_fails_with(self.run_missile(self.model), "missing input 'x'", "float32", "[1,3,8,8]")

    def test_wrong_shape(self):
        bad = self.npy("bad.npy", np.zeros((1, 3, 9, 9), np.float32))
        self.assert_fails_with(self.run_missile(self.model, "--input", f"x={bad}"), "input 'x'",
                               "expected shape [1,3,8,8], got [1,3,9,9]")

    def test_wrong_rank(self):
        bad = self.npy("bad.npy", np.zeros((3, 8, 8), np.float32))
        self.assert_fails_with(self.run_missile(self.model, "--input", f"x={bad}"), "input 'x'",
                               "expected shape [1,3,8,8], got [3,8,8]")

    def test_wrong_dtype(self):
        bad = self.npy("bad.npy", np.zeros((1, 3, 8, 8), np.int64))
        self.assert_fails_with(self.run_missile(self.model, "--input", f"x={bad}"), "input 'x'",
                               "expected dtype float32, got int64")

    def test_unknown_input_name(self):
        self.assert_fails_with(self.run_missile(self.model, "--input", f"x={self.x}", "--input", f"z={self.x}"),
                               "unknown input 'z'")

    def test_unreadable_npy(self):
        path = self.dir / "broken.npy"
        path.write_bytes(b"\x93NUMPY\x01\x00garbage")
        self.assert_fails_with(self.run_missile(self.model, "--input", f"x={path}"), "input 'x'", "broken.npy")

    def test_fp16_on_cpu_is_refused_clearly(self):
        result = self.run_missile(self.model, "--input", f"x={self.x}", "--precision", "fp16")
        self.assert_fails_with(result, "fp16")

    def test_l2_setaside_where_there_is_none_is_refused_clearly(self):
        # The CPU backend has no GPU L2: a tenant that asks for a set-aside is refused before the server starts.
        config = self.dir / "server.json"
        config.write_text(json.dumps({
            "server": {"backend": "cpu", "port": 0},
            "tenants": [{"name": "camera", "class": "LS", "l2_setaside": "auto"}],
            "models": [{"name": "conv", "tenant": "camera", "path": str(self.model)}]}))
        result = subprocess.run([MISSILE, "serve", "--config", str(config)], capture_output=True, text=True,
                                timeout=120)
        self.assert_fails_with(result, "tenant 'camera': the L2 set-aside is not available",
                               "the cpu backend has no GPU L2")

    def test_shape_operand_given_at_run_time_is_refused(self):
        # Reshape's target shape as a graph input: the output shape is unknown until run time, which a static
        # plan cannot accept; the error says which operand must be constant.
        node = helper.make_node("Reshape", ["x", "shape"], ["y"], name="flatten")
        graph = helper.make_graph(
            [node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8]),
                          helper.make_tensor_value_info("shape", TensorProto.INT64, [2])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 192])])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        shape = self.npy("shape.npy", np.array([1, -1], np.int64))
        result = self.run_missile(self.save(model, "dynamic.onnx"), "--input", f"x={self.x}", "--input",
                                  f"shape={shape}")
        self.assert_fails_with(result, "flatten", "Reshape", "'shape'", "constant")

    def test_shape_error_inside_the_model_names_the_node(self):
        # Weight with 5 input channels against an input with 3: the model itself is inconsistent.
        model = conv_model()
        model.graph.initializer[0].CopyFrom(numpy_helper.from_array(np.ones((4, 5, 3, 3), np.float32), "weight"))
        result = self.run_missile(self.save(model, "inconsistent.onnx"), "--input", f"x={self.x}")
        self.assert_fails_with(result, "features.conv", "Conv")

    def test_probe_channels_without_a_gpu_says_what_it_needs(self):
        result = subprocess.run([MISSILE, "probe", "channels", "--quick", "--out", str(self.dir / "probe")],
                                capture_output=True, text=True, timeout=300)
        if result.returncode == 0:
            self.skipTest("a GPU is present: the probe ran")
        self.assert_fails_with(result, "probe channels needs")


class SchedulingCliTest(CliTestBase):
    """`missile profile` and `missile simulate`: a profile made from a model feeds the simulator."""

    def missile(self, *args):
        return subprocess.run([MISSILE, *map(str, args)], capture_output=True, text=True, timeout=120)

    def profile(self):
        path = self.dir / "profile.json"
        result = self.missile("profile", "--synthesize", self.model, "--name", "conv", "--out", path)
        self.assertEqual(result.returncode, 0, result.stderr)
        return path

    def test_synthesized_profile_says_where_its_numbers_come_from(self):
        import json
        profile = json.loads(self.profile().read_text())
        self.assertEqual(profile["source"], "synthesized-roofline")
        self.assertEqual(profile["model"], "conv")
        self.assertEqual(len(profile["kernels"]), 1)
        self.assertEqual(len(profile["kernels"][0]["duration_us"]), 17)

    def test_measuring_needs_the_gpu(self):
        self.assert_fails_with(self.missile("profile", self.model), "--synthesize")

    def test_measuring_without_a_gpu_says_what_it_needs(self):
        result = self.missile("profile", "--measure", self.model, "--out", self.dir / "measured.json")
        if result.returncode == 0:
            self.skipTest("a GPU is present: the profile was measured")
        self.assert_fails_with(result, "--synthesize")

    def test_synthesize_and_measure_exclude_each_other(self):
        self.assert_fails_with(self.missile("profile", "--synthesize", "--measure", self.model), "--measure")

    def test_diagnose_goes_with_measure(self):
        self.assert_fails_with(self.missile("profile", "--synthesize", "--diagnose", self.model), "--diagnose")

    def test_simulate_runs_on_synthesized_profiles(self):
        path = self.profile()
        result = self.missile("simulate", "--ls-profile", path, "--be-profile", path, "--policy", "all",
                              "--seconds", "0.3", "--warmup", "0.1", "--rate", "500")
        self.assertEqual(result.returncode, 0, result.stderr)
        for row in ["LS alone", "BE alone", "temporal", "shared", "priority", "static", "orion", "missile"]:
            self.assertIn(f"| {row} |", result.stdout)

    def test_unknown_policy(self):
        path = self.profile()
        result = self.missile("simulate", "--ls-profile", path, "--be-profile", path, "--policy", "fifo")
        self.assert_fails_with(result, "unknown scheduling policy 'fifo'", "missile")

    def test_missing_profile(self):
        result = self.missile("simulate", "--ls-profile", self.dir / "none.json", "--be-profile", self.profile())
        self.assert_fails_with(result, "none.json")

    def test_bad_sm_bounds(self):
        path = self.profile()
        result = self.missile("simulate", "--ls-profile", path, "--be-profile", path, "--ls-groups", "4:2")
        self.assert_fails_with(result, "--ls-groups", "MIN:MAX")

    def test_bad_group_count(self):
        path = self.profile()
        result = self.missile("simulate", "--ls-profile", path, "--be-profile", path, "--groups", "40")
        self.assert_fails_with(result, "--groups 40", "cannot make 40 groups")

    def test_simulate_resamples_and_runs_segments(self):
        path = self.profile()
        result = self.missile("simulate", "--ls-profile", path, "--be-profile", path, "--policy", "missile",
                              "--groups", "15", "--ls-segment", "0", "--be-segment", "2", "--seconds", "0.3",
                              "--warmup", "0.1", "--rate", "500")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("14 groups of 8 + 1 of 20", result.stdout)
        self.assertIn("| missile |", result.stdout)

    def test_profile_that_is_not_one(self):
        result = self.missile("simulate", "--ls-profile", self.x, "--be-profile", self.x)
        self.assert_fails_with(result, "not valid JSON")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--missile", required=True)
    args, rest = parser.parse_known_args()
    MISSILE = args.missile
    unittest.main(argv=[sys.argv[0], "-v", *rest])
