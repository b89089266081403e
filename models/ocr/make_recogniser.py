"""Builds ch_PP-OCRv4_rec_folded.onnx (the recogniser extractor/ocr.py loads) from the PP-OCRv4
recogniser in the rapidocr-onnxruntime wheel. Run once, by hand, from the project root:

    pip install onnx          # not a dependency of nianbao: only this script needs it
    python models/ocr/make_recogniser.py

The model as exported computes, after each convolution, a learnable affine block (x·a + b, with
scalars a and b) and hardswish spelt as five element-wise operators: about 40% of its time on a
CPU went to them and to converting tensors in and out of onnxruntime's blocked layout around
them. Here the affine blocks fold into the convolutions' weights (after every convolution; before
one where it is 1×1 without padding, where folding is exact, and elsewhere become a per-channel
BatchNormalization, which stays in the blocked layout) and hardswish becomes one operator (opset
14), which onnxruntime fuses into the convolution. The function is the same (outputs equal to
float rounding); a line costs about 40% less.
int8 quantization was tried and not kept: it read a "/" as a sure "7". Nor was running this
model under OpenVINO in bfloat16 (twice as fast per column once a batch's shape has been seen, but
18–40 ms to prepare each new shape, 22 MB of address space kept for each, and 87 of 3,485 lines
read differently): extractor/stages/ocr/reader.py gives the figures.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper, version_converter

OUT = Path(__file__).resolve().parent / "ch_PP-OCRv4_rec_folded.onnx"


def folded(model: onnx.ModelProto) -> onnx.ModelProto:
    model = version_converter.convert_version(model, 14)     # HardSwish is opset 14
    graph = model.graph
    values = {n.output[0]: numpy_helper.to_array(n.attribute[0].t) for n in graph.node if n.op_type == "Constant"}
    values.update({i.name: numpy_helper.to_array(i) for i in graph.initializer})

    def scalar(name):
        v = values.get(name)
        return float(v.reshape(())) if v is not None and v.size == 1 else None

    def only_consumer(name, op_type):
        users = [n for n in graph.node if name in n.input]
        return users[0] if len(users) == 1 and users[0].op_type == op_type else None

    def other(node, name):
        return next(i for i in node.input if i != name)

    def set_weights(conv, weight, bias, suffix):
        values[conv.input[1] + suffix], values[conv.output[0] + suffix + "b"] = weight, bias
        conv.input[1] = conv.input[1] + suffix
        if len(conv.input) > 2:
            conv.input[2] = conv.output[0] + suffix + "b"
        else:
            conv.input.append(conv.output[0] + suffix + "b")

    def rename_input(old, new):
        for n in graph.node:
            for k, i in enumerate(n.input):
                if i == old:
                    n.input[k] = new

    def drop(outputs):
        keep = [n for n in graph.node if n.output[0] not in outputs]
        del graph.node[:]
        graph.node.extend(keep)

    # conv → ·a → +b: into the convolution's weights and bias
    gone = set()
    for conv in [n for n in graph.node if n.op_type == "Conv"]:
        mul = only_consumer(conv.output[0], "Mul")
        add = mul and only_consumer(mul.output[0], "Add")
        a = mul and scalar(other(mul, conv.output[0]))
        b = add and scalar(other(add, mul.output[0]))
        if a is None or b is None:
            continue
        weight = values[conv.input[1]]
        bias = values[conv.input[2]] if len(conv.input) > 2 else np.zeros(weight.shape[0], np.float32)
        set_weights(conv, weight * a, bias * a + b, "_folded")
        rename_input(add.output[0], conv.output[0])
        gone |= {mul.output[0], add.output[0]}
    drop(gone)

    # x · clip(x + 3, 0, 6) / 6 → HardSwish(x)
    gone, hardswish = set(), []
    for add in [n for n in graph.node if n.op_type == "Add" and scalar(n.input[1]) == 3.0]:
        x = add.input[0]
        clip = only_consumer(add.output[0], "Clip")
        mul = clip and only_consumer(clip.output[0], "Mul")
        div = mul and only_consumer(mul.output[0], "Div")
        if div is None or x not in mul.input or scalar(div.input[1]) != 6.0:
            continue
        hardswish.append((add.output[0], helper.make_node("HardSwish", [x], [div.output[0]])))
        gone |= {add.output[0], clip.output[0], mul.output[0], div.output[0]}
    for first, node in hardswish:
        at = next(k for k, n in enumerate(graph.node) if n.output[0] == first)
        graph.node.insert(at, node)
    keep = [n for n in graph.node if n.output[0] not in gone or n.op_type == "HardSwish"]
    del graph.node[:]
    graph.node.extend(keep)

    # ·c → +d before convolutions: into them where they are 1×1 without padding; elsewhere (the
    # zeros of a padding come after the affine block, so folding would not be exact) as one
    # per-channel BatchNormalization, which onnxruntime keeps in its blocked layout, where a scalar
    # Mul and Add have it convert the tensor out and back in around every depthwise convolution
    gone, batchnorms = set(), []
    for mul in [n for n in graph.node if n.op_type == "Mul"]:
        inputs = [i for i in mul.input if scalar(i) is None]
        if len(inputs) != 1:
            continue
        x = inputs[0]
        c = scalar(other(mul, x))
        add = only_consumer(mul.output[0], "Add")
        d = add and scalar(other(add, mul.output[0]))
        convs = [n for n in graph.node if add and add.output[0] in n.input]
        if c is None or d is None or not convs or any(n.op_type != "Conv" for n in convs):
            continue
        attrs = [{a.name: helper.get_attribute_value(a) for a in n.attribute} for n in convs]
        if all(values[n.input[1]].shape[2:] == (1, 1) and not any(a.get("pads", [0])) and a.get("group", 1) == 1
               for n, a in zip(convs, attrs)):
            for conv in convs:
                weight = values[conv.input[1]]
                bias = values[conv.input[2]] if len(conv.input) > 2 else np.zeros(weight.shape[0], np.float32)
                set_weights(conv, weight * c, bias + d * weight.sum(axis=(1, 2, 3)), "_pre")
                conv.input[0] = x
            gone |= {mul.output[0], add.output[0]}
        else:
            channels = values[convs[0].input[1]].shape[1] * attrs[0].get("group", 1)
            names = [add.output[0] + k for k in ("_scale", "_bias", "_mean", "_var")]
            for name, v in zip(names, (c, d, 0.0, 1.0 - 1e-5)):
                values[name] = np.full(channels, v, np.float32)
            batchnorms.append((mul.output[0], helper.make_node("BatchNormalization", [x] + names, [add.output[0]],
                                                                 epsilon=1e-5)))
            gone |= {mul.output[0]}
    for first, node in batchnorms:
        at = next(k for k, n in enumerate(graph.node) if n.output[0] == first)
        graph.node.insert(at, node)
    keep = [n for n in graph.node if n.output[0] not in gone
            and not (n.op_type == "Add" and any(n.output[0] == b.output[0] for _, b in batchnorms))]
    del graph.node[:]
    graph.node.extend(keep)

    used = {i for n in graph.node for i in n.input}
    keep = [n for n in graph.node if not (n.op_type == "Constant" and n.output[0] not in used)]
    del graph.node[:]
    graph.node.extend(keep)
    del graph.initializer[:]
    graph.initializer.extend(numpy_helper.from_array(np.asarray(v, np.float32) if v.dtype == np.float64 else v, k)
                             for k, v in values.items() if k in used and k not in
                             {n.output[0] for n in graph.node if n.op_type == "Constant"})
    onnx.checker.check_model(model)
    return model


def main() -> None:
    import rapidocr_onnxruntime

    source = Path(rapidocr_onnxruntime.__file__).parent / "models" / "ch_PP-OCRv4_rec_infer.onnx"
    onnx.save(folded(onnx.load(source)), OUT)
    print(f"{OUT}: {OUT.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
