#include "ops/activation.h"

namespace missile::ops {

std::string ActivationName(Activation::Kind kind) {
  switch (kind) {
    case Activation::Kind::kNone:
      return "";
    case Activation::Kind::kRelu:
      return "Relu";
    case Activation::Kind::kClip:
      return "Clip";
    case Activation::Kind::kSigmoid:
      return "Sigmoid";
    case Activation::Kind::kHardSwish:
      return "HardSwish";
    case Activation::Kind::kGelu:
      return "Gelu";
    case Activation::Kind::kGeluTanh:
      return "GeluTanh";
  }
  return "";
}

Activation ActivationFromAttributes(const graph::Attributes& attributes) {
  Activation activation;
  const std::string name = attributes.String(kFusedActivationAttr, "");
  for (auto kind : {Activation::Kind::kRelu, Activation::Kind::kClip, Activation::Kind::kSigmoid,
                    Activation::Kind::kHardSwish, Activation::Kind::kGelu, Activation::Kind::kGeluTanh}) {
    if (name == ActivationName(kind)) activation.kind = kind;
  }
  activation.min = attributes.Float(kFusedClipMinAttr, 0.0f);
  activation.max = attributes.Float(kFusedClipMaxAttr, 0.0f);
  return activation;
}

Result<Activation> GeluFromAttributes(const graph::Attributes& attributes) {
  const std::string approximate = attributes.String("approximate", "none");
  if (approximate == "none") return Activation{.kind = Activation::Kind::kGelu};
  if (approximate == "tanh") return Activation{.kind = Activation::Kind::kGeluTanh};
  return Error(ErrorCode::kInvalidModel, "Gelu's approximate must be \"none\" or \"tanh\", got \"{}\"",
               approximate);
}

void SetActivationAttributes(const Activation& activation, graph::Attributes& attributes) {
  attributes.Set(kFusedActivationAttr, ActivationName(activation.kind));
  if (activation.kind == Activation::Kind::kClip) {
    attributes.Set(kFusedClipMinAttr, activation.min);
    attributes.Set(kFusedClipMaxAttr, activation.max);
  }
}

}  // namespace missile::ops
