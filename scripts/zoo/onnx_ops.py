#!/usr/bin/python3
"""List the ONNX operators that exported models use: what an engine has to implement to run them.

For each model.onnx (given directly, or found under the given folders) prints the opset and every op type with its
count and the variants seen: the attribute values that change an operator's behaviour, and, for operators whose
parameters are optional inputs (Clip's min/max, Pad's pads, Split's split, Resize's scales/sizes, ...), which
inputs are present and whether they are constants. Ends with the union over all models.

    /usr/bin/python3 scripts/zoo/onnx_ops.py /tmp/zoo-small
"""

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

import onnx
from onnx import helper, numpy_helper

# Attributes that only carry sizes already implied by the weights, or that vary per node without changing what
# kind of kernel is needed; listing every distinct value of these would drown the variants that matter.
SIZE_ATTRIBUTES = {"kernel_shape", "pads", "strides", "dilations", "group", "epsilon", "momentum", "value",
                   "perm", "axes", "axis", "alpha", "beta", "allowzero", "to", "keepdims"}
# ...except for these operators, where the listed attribute selects the variant.
VARIANT_ATTRIBUTES = {
    "Transpose": {"perm"}, "Softmax": {"axis"}, "Gather": {"axis"}, "Concat": {"axis"}, "Flatten": {"axis"},
    "ReduceMean": {"axes", "keepdims"}, "Gemm": {"alpha", "beta"}, "Cast": {"to"},
    "LayerNormalization": {"axis"}, "Unsqueeze": {"axes"}, "Squeeze": {"axes"},
}
# Operators whose constant inputs are parameters worth seeing (Pad's pads, Clip's min/max).
SHOW_CONSTANT_VALUES = {"Pad", "Clip"}
# Operators with any number of inputs: their variants list the kinds of inputs, not each arity.
VARIADIC = {"Concat", "Sum", "Max", "Min", "Mean"}


def describe(node: onnx.NodeProto, constants: dict) -> str:
    """One variant string: the behaviour-selecting attributes and the kinds of the node's inputs."""
    shown = VARIANT_ATTRIBUTES.get(node.op_type, set())
    attributes = [f"{a.name}={_value(a)}" for a in node.attribute if a.name not in SIZE_ATTRIBUTES or a.name in shown]
    inputs = [_input_kind(node.op_type, name, constants) for name in node.input]
    if node.op_type in VARIADIC:
        inputs = sorted(set(inputs)) + ["..."]
    return f"({', '.join(inputs)})" + (f" {' '.join(attributes)}" if attributes else "")


def _input_kind(op_type: str, name: str, constants: dict) -> str:
    if not name:
        return "-"  # an optional input left out
    if name not in constants:
        return "x"
    if op_type in SHOW_CONSTANT_VALUES:
        return f"const={numpy_helper.to_array(constants[name]).tolist()}"
    return "const"


def _value(attribute: onnx.AttributeProto):
    value = helper.get_attribute_value(attribute)
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, onnx.TensorProto):
        return f"tensor{list(value.dims)}"
    return value


def inventory(path: Path) -> tuple[int, Counter, dict]:
    """(opset, op_type -> count, op_type -> Counter of variant strings) of one model."""
    model = onnx.load(str(path), load_external_data=False)
    graph = model.graph
    opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    constants = {i.name: i for i in graph.initializer}
    counts, variants = Counter(), defaultdict(Counter)
    for node in graph.node:
        if node.op_type == "Constant" and node.attribute[0].name == "value":
            constants[node.output[0]] = node.attribute[0].t
        counts[node.op_type] += 1
        variants[node.op_type][describe(node, constants)] += 1
    return opset, counts, variants


def find_models(paths: list[Path]) -> list[Path]:
    return sorted(p for path in paths for p in ([path] if path.is_file() else path.rglob("model.onnx")))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", type=Path, help="model.onnx files or folders holding them")
    models = find_models(parser.parse_args().paths)
    union_counts, union_variants, union_models = Counter(), defaultdict(Counter), defaultdict(set)
    for path in models:
        opset, counts, variants = inventory(path)
        name = path.parent.name
        print(f"{name} (opset {opset}, {sum(counts.values())} nodes): "
              + ", ".join(f"{op} {n}" for op, n in counts.most_common()))
        union_counts.update(counts)
        for op, seen in variants.items():
            union_variants[op].update(seen)
            union_models[op].add(name)
    print(f"\nunion over {len(models)} models (op: nodes, models, variants as '(input kinds) attributes': count)")
    for op in sorted(union_counts):
        variants = "; ".join(f"{v}: {n}" for v, n in union_variants[op].most_common())
        print(f"{op}: {union_counts[op]} nodes in {len(union_models[op])} [{', '.join(sorted(union_models[op]))}]"
              f"\n    {variants}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
