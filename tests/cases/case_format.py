"""Building and writing test cases in the format of docs/test-cases.md.

A `Case` holds an ONNX graph (nodes, graph inputs with their values, initializers), the reference outputs and the
metadata of case.json. `Case.write` builds the model, validates it with the ONNX checker (full check, which also runs
strict shape inference, so declared output types and shapes must agree with what ONNX infers) and writes

    <root>/<name>/model.onnx
    <root>/<name>/inputs/<input name>.npy
    <root>/<name>/expected/<output name>.npy
    <root>/<name>/case.json
"""
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, mapping, numpy_helper

# Element types a case may hold; anything else (notably float64 leaking out of a reference) is a bug.
ALLOWED_DTYPES = {np.dtype(t) for t in (np.float32, np.int64, np.int32, np.bool_)}


def file_name(onnx_name):
    """The file-name rule of docs/test-cases.md: every character outside [A-Za-z0-9._-] becomes '_'."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", onnx_name)


def value_info(name, array):
    return helper.make_tensor_value_info(name, mapping.NP_TYPE_TO_TENSOR_TYPE[array.dtype], array.shape)


@dataclass
class Case:
    name: str
    nodes: list        # onnx NodeProto, in topological order
    inputs: dict       # graph input name -> value (written to inputs/)
    consts: dict       # initializer name -> value (stored inside model.onnx)
    expected: dict     # graph output name -> reference value (written to expected/)
    reference: str     # "torch" or "numpy"
    note: str
    tolerance: float = 1e-5
    opset: int = 17
    fused: tuple = ()  # operators the engine's passes make of the pattern (they appear in no ONNX file)

    @property
    def op(self):
        """The node's operator, or the distinct operators of a multi-node pattern joined by '+', in node order,
        then the fused operators the pattern becomes."""
        return "+".join(dict.fromkeys([n.op_type for n in self.nodes] + list(self.fused)))

    def validate_values(self):
        assert self.reference in ("torch", "numpy"), self.name
        for kind, values in (("input", self.inputs), ("initializer", self.consts), ("output", self.expected)):
            for name, value in values.items():
                assert isinstance(value, np.ndarray) and value.dtype in ALLOWED_DTYPES, \
                    f"{self.name}: {kind} {name} is {type(value).__name__} {getattr(value, 'dtype', '')}"
                assert value.size > 0 or kind == "initializer", f"{self.name}: {kind} {name} is empty"
                if value.dtype == np.float32:
                    assert np.isfinite(value).all(), f"{self.name}: {kind} {name} has non-finite values"
        names = [file_name(n) for n in list(self.inputs) + list(self.expected)]
        assert len(set(names)) == len(names), f"{self.name}: file names collide: {names}"

    def model(self):
        graph = helper.make_graph(
            self.nodes, self.name,
            inputs=[value_info(n, v) for n, v in self.inputs.items()],
            outputs=[value_info(n, v) for n, v in self.expected.items()],
            initializer=[numpy_helper.from_array(v, n) for n, v in self.consts.items()])
        model = helper.make_model(graph, producer_name="missile-make_op_cases",
                                  opset_imports=[helper.make_opsetid("", self.opset)])
        try:
            onnx.checker.check_model(model, full_check=True)
        except Exception as error:
            raise RuntimeError(f"case {self.name}: the ONNX checker rejected the model: {error}") from error
        return model

    def write(self, root):
        self.validate_values()
        model = self.model()
        folder = Path(root) / self.name
        if folder.exists():
            shutil.rmtree(folder)   # no stale inputs/outputs from an earlier version of this case
        (folder / "inputs").mkdir(parents=True)
        (folder / "expected").mkdir()
        onnx.save(model, str(folder / "model.onnx"))
        for sub, values in (("inputs", self.inputs), ("expected", self.expected)):
            for name, value in values.items():
                np.save(folder / sub / f"{file_name(name)}.npy", value)
        meta = {"name": self.name, "reference": self.reference, "tolerance": self.tolerance,
                "op": self.op, "opset": self.opset, "note": self.note}
        (folder / "case.json").write_text(json.dumps(meta, indent=1) + "\n")
