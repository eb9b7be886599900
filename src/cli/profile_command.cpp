// `missile profile`: kernel profiles for the compute scheduler. --synthesize times every kernel with a
// roofline model of the H200 (sched/roofline.h), anywhere; --measure times every kernel on the GPU, alone on
// every SM partition [0, g) (green contexts, sched/cuda/step_timer.h), in builds with the CUDA backend.
#include <ctime>
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "cli/model_inputs.h"
#include "device/gpu_info.h"
#include "runtime/session.h"
#include "sched/profile_synthesizer.h"

#ifdef MISSILE_HAVE_CUDA
#include "device/cuda/cuda_status.h"
#include "device/cuda/green_partitions.h"
#include "runtime/cuda/cuda_backend.h"
#include "runtime/cuda/cuda_executable.h"
#include "sched/cuda/step_timer.h"
#include "sched/measured_profile.h"
#endif

namespace missile::cli {
namespace {

struct ProfileOptions {
  std::string model;
  bool synthesize = false;
  bool measure = false;
  std::string name;
  std::string precision = "fp16";
  std::vector<std::string> inputs;
  std::string out;
  int warmup = 2;
  int repetitions = 5;
};

std::string ModelName(const ProfileOptions& options) {
  return options.name.empty() ? std::filesystem::path(options.model).stem().string() : options.name;
}

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return text;
}

// The plan's steps, compiled by `backend`, with every kernel timed by the roofline model: the synthesized
// profile, and the work and block estimates a measured profile keeps.
struct Compiled {
  std::unique_ptr<runtime::Session> session;
  runtime::Executable* executable = nullptr;
  sched::ModelProfile synthesized;
};

Result<Compiled> Compile(const ProfileOptions& options, const std::string& backend,
                         const sched::GpuLayout& layout) {
  runtime::SessionOptions session_options;
  session_options.backend = backend;
  MISSILE_ASSIGN_OR_RETURN(session_options.precision, runtime::ParsePrecision(options.precision));
  if (backend == "cpu") session_options.precision = runtime::Precision::kFp32;  // only the plan is used
  Compiled compiled;
  MISSILE_ASSIGN_OR_RETURN(compiled.session, runtime::Session::Load(options.model, session_options));
  const graph::Graph& model = compiled.session->model();
  MISSILE_ASSIGN_OR_RETURN(const runtime::NamedTensors inputs, options.inputs.empty()
                                                                   ? DeclaredInputs(model)
                                                                   : ReadModelInputs(model, options.inputs));
  MISSILE_ASSIGN_OR_RETURN(compiled.executable, compiled.session->Prepare(inputs));
  sched::SynthesisOptions synthesis;
  synthesis.model = ModelName(options);
  synthesis.precision = options.precision;
  synthesis.layout = layout;
  MISSILE_ASSIGN_OR_RETURN(
      compiled.synthesized,
      sched::SynthesizeProfile(compiled.executable->graph(), compiled.executable->plan(), synthesis));
  return compiled;
}

Result<sched::ModelProfile> Synthesize(const ProfileOptions& options) {
  // The CPU backend's plan: the same fusions and kernel list as the engine's, without a GPU.
  MISSILE_ASSIGN_OR_RETURN(Compiled compiled, Compile(options, "cpu", sched::GpuLayout::H200()));
  compiled.synthesized.notes.push_back(fmt::format(
      "made by: missile profile --synthesize {} --name {} --precision {}",
      std::filesystem::path(options.model).filename().string(), ModelName(options), options.precision));
  return std::move(compiled.synthesized);
}

#ifdef MISSILE_HAVE_CUDA
Result<sched::ModelProfile> Measure(const ProfileOptions& options) {
  auto created = device::cuda::GreenPartitions::Create();
  if (!created.ok()) {
    return created.status().WithContext(
        "profile --measure needs SM partitions on a GPU (--synthesize does not)");
  }
  std::unique_ptr<device::cuda::GreenPartitions> partitions = std::move(created).value();
  const device::cuda::SmGroups& groups = partitions->layout();
  const sched::GpuLayout layout{groups.sms, groups.sms_per_group};
  MISSILE_ASSIGN_OR_RETURN(Compiled compiled, Compile(options, "cuda", layout));
  auto* executable = dynamic_cast<runtime::cuda::CudaExecutable*>(compiled.executable);
  auto* backend = dynamic_cast<runtime::cuda::CudaBackend*>(&compiled.session->backend());
  if (executable == nullptr || backend == nullptr) {
    return Error(ErrorCode::kInternal, "the session did not compile for the CUDA backend");
  }
  // The inputs once, on the session's stream: the steps then read and write the arena as a request does.
  const graph::Graph& model = compiled.session->model();
  MISSILE_ASSIGN_OR_RETURN(const runtime::NamedTensors inputs, options.inputs.empty()
                                                                   ? DeclaredInputs(model)
                                                                   : ReadModelInputs(model, options.inputs));
  std::vector<const Tensor*> ordered;
  for (graph::ValueId in : model.inputs()) ordered.push_back(&inputs.at(model.value(in).name));
  executable->StageInputs(ordered);
  MISSILE_RETURN_IF_ERROR(executable->EnqueueInputCopies(backend->context().launch()));
  MISSILE_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(backend->context().stream()));

  sched::cuda::StepTimingOptions timing;
  timing.warmup = options.warmup;
  timing.repetitions = options.repetitions;
  timing.log = [](const std::string& line) { std::cerr << "profile: " << line << std::endl; };
  MISSILE_ASSIGN_OR_RETURN(const sched::cuda::StepSamples samples,
                           sched::cuda::TimeStepsOnPartitions(*executable, *partitions, timing));

  std::string device_name = "GPU";
  if (auto gpus = device::QueryGpus(); gpus.ok() && !gpus->empty()) device_name = gpus->front().name;
  std::vector<std::string> notes = {
      fmt::format("measured on {} ({} SMs in groups of {}) on {}", device_name, groups.sms,
                  groups.sms_per_group, UtcNow()),
      fmt::format("duration_us[g-1]: median of {} repetitions (after {} warm-up) of the step alone in the "
                  "green-context partition of SM groups [0,g), CUDA events between steps queued back to back "
                  "behind a GPU-side delay (no host launch gaps)",
                  options.repetitions, options.warmup),
      "flops, bytes and blocks: the roofline synthesizer's estimates for the same plan (shapes; DRAM bytes "
      "assume no L2 reuse, so at small batch they overstate DRAM traffic); nothing is read from counters",
      fmt::format("memory_intensity: bytes / measured duration on the whole GPU over the streaming bandwidth "
                  "of the SMs the kernel occupies (the H200 curve); memory_bound: intensity >= {}",
                  sched::kMemoryBoundIntensity),
      fmt::format(
          "made by: missile profile --measure {} --name {} --precision {} --warmup {} --repetitions {}",
          std::filesystem::path(options.model).filename().string(), ModelName(options), options.precision,
          options.warmup, options.repetitions)};
  return sched::MeasuredProfile(compiled.synthesized, samples, device_name, std::move(notes));
}
#else
Result<sched::ModelProfile> Measure(const ProfileOptions&) {
  return Error(ErrorCode::kUnavailable,
               "measuring kernel profiles needs the CUDA backend, which this build does not have (built "
               "without nvcc): use --synthesize for a roofline profile");
}
#endif

int Profile(const ProfileOptions& options) {
  if (options.synthesize && options.measure) {
    return ReportError(Error(ErrorCode::kInvalidArgument, "--synthesize and --measure exclude each other"));
  }
  if (!options.synthesize && !options.measure) {
    return ReportError(Error(ErrorCode::kInvalidArgument,
                             "say how to profile: --synthesize (roofline model) or --measure (on the GPU)"));
  }
  if (options.warmup < 0 || options.repetitions < 1) {
    return ReportError(Error(ErrorCode::kInvalidArgument, "--warmup must be >= 0 and --repetitions >= 1"));
  }
  auto profile = options.synthesize ? Synthesize(options) : Measure(options);
  if (!profile.ok()) return ReportError(profile.status());
  if (!options.out.empty()) {
    Status saved = sched::SaveModelProfile(*profile, options.out);
    if (!saved.ok()) return ReportError(saved);
  }
  int memory_bound = 0;
  for (const auto& k : profile->kernels) memory_bound += k.memory_bound ? 1 : 0;
  const int groups = profile->layout.groups();
  std::cout << fmt::format(
      "{} batch {} {} ({}): {} kernels ({} memory-bound), alone {:.3f} ms on {} SMs, {:.3f} ms on {} SMs{}\n",
      profile->model, profile->batch, profile->precision, profile->source, profile->kernels.size(),
      memory_bound, profile->TotalDurationUs(groups) / 1e3, profile->layout.sms,
      profile->TotalDurationUs(1) / 1e3, profile->layout.SmsInFirst(1),
      options.out.empty() ? "" : fmt::format(" -> {}", options.out));
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
  profile->add_flag("--measure", options->measure,
                    "time each kernel on the GPU alone on every SM partition (CUDA backend, green contexts)");
  profile->add_option("--name", options->name, "model name written into the profile (default: file stem)");
  profile
      ->add_option("--precision", options->precision, "fp16 or fp32 (element size for bytes and FLOP rates)")
      ->check(CLI::IsMember({"fp16", "fp32"}));
  profile->add_option("--input,-i", options->inputs, "NAME=FILE.npy, for models with symbolic input dims");
  profile->add_option("--out,-o", options->out, "write the profile as JSON here");
  profile->add_option("--warmup", options->warmup, "--measure: warm-up rounds per partition (default 2)");
  profile->add_option("--repetitions", options->repetitions,
                      "--measure: timed rounds per partition, the median is kept (default 5)");
  return {profile, [options] { return Profile(*options); }};
}

}  // namespace missile::cli
