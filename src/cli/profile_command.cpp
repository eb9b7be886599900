// `missile profile`: kernel profiles for the compute scheduler. Today only --synthesize (a roofline model of
// the H200, sched/roofline.h); measured profiles need the CUDA device.
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "cli/model_inputs.h"
#include "runtime/session.h"
#include "sched/profile_synthesizer.h"

namespace missile::cli {
namespace {

struct ProfileOptions {
  std::string model;
  bool synthesize = false;
  std::string name;
  std::string precision = "fp16";
  std::vector<std::string> inputs;
  std::string out;
};

int Profile(const ProfileOptions& options) {
  if (!options.synthesize) {
    return ReportError(
        Error(ErrorCode::kUnavailable,
              "measuring kernel profiles needs the CUDA device, which this build does not have "
              "yet: use --synthesize for a roofline profile"));
  }
  runtime::SessionOptions session_options;
  session_options.backend = "cpu";  // only for the plan: the CPU backend's kernels are the steps profiled
  auto session = runtime::Session::Load(options.model, session_options);
  if (!session.ok()) return ReportError(session.status());
  const graph::Graph& model = (*session)->model();
  auto inputs = options.inputs.empty() ? DeclaredInputs(model) : ReadModelInputs(model, options.inputs);
  if (!inputs.ok()) return ReportError(inputs.status());
  auto executable = (*session)->Prepare(*inputs);
  if (!executable.ok()) return ReportError(executable.status());

  sched::SynthesisOptions synthesis;
  synthesis.model =
      options.name.empty() ? std::filesystem::path(options.model).stem().string() : options.name;
  synthesis.precision = options.precision;
  auto profile = sched::SynthesizeProfile((*executable)->graph(), (*executable)->plan(), synthesis);
  if (!profile.ok()) return ReportError(profile.status());
  profile->notes.push_back(fmt::format("made by: missile profile --synthesize {} --name {} --precision {}",
                                       std::filesystem::path(options.model).filename().string(),
                                       synthesis.model, options.precision));
  if (!options.out.empty()) {
    Status saved = sched::SaveModelProfile(*profile, options.out);
    if (!saved.ok()) return ReportError(saved);
  }
  int memory_bound = 0;
  for (const auto& k : profile->kernels) memory_bound += k.memory_bound ? 1 : 0;
  const int groups = profile->layout.groups();
  std::cout << fmt::format(
      "{} batch {} {}: {} kernels ({} memory-bound), alone {:.3f} ms on {} SMs, {:.3f} ms on {} SMs{}\n",
      profile->model, profile->batch, profile->precision, profile->kernels.size(), memory_bound,
      profile->TotalDurationUs(groups) / 1e3, profile->layout.sms, profile->TotalDurationUs(1) / 1e3,
      profile->layout.SmsInFirst(1), options.out.empty() ? "" : fmt::format(" -> {}", options.out));
  return 0;
}

}  // namespace

Command AddProfileCommand(CLI::App& app) {
  auto options = std::make_shared<ProfileOptions>();
  CLI::App* profile =
      app.add_subcommand("profile", "Make a model's kernel profile for the compute scheduler");
  profile->add_option("model", options->model, "ONNX model file")->required();
  profile->add_flag("--synthesize", options->synthesize,
                    "time each kernel with the H200 roofline model instead of measuring it");
  profile->add_option("--name", options->name, "model name written into the profile (default: file stem)");
  profile
      ->add_option("--precision", options->precision, "fp16 or fp32 (element size for bytes and FLOP rates)")
      ->check(CLI::IsMember({"fp16", "fp32"}));
  profile->add_option("--input,-i", options->inputs, "NAME=FILE.npy, for models with symbolic input dims");
  profile->add_option("--out,-o", options->out, "write the profile as JSON here");
  return {profile, [options] { return Profile(*options); }};
}

}  // namespace missile::cli
