// missile: multi-tenant DNN inference with hardware-level isolation. One binary, one subcommand per job.
#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"missile: run several DNN inference tenants on one GPU with near-hardware isolation"};
  app.require_subcommand(1);
  const std::vector<missile::cli::Command> commands = {
      missile::cli::AddRunCommand(app),      missile::cli::AddInspectCommand(app),
      missile::cli::AddDevicesCommand(app),  missile::cli::AddProfileCommand(app),
      missile::cli::AddSimulateCommand(app), missile::cli::AddServeCommand(app),
      missile::cli::AddBenchCommand(app),    missile::cli::AddProbeCommand(app),
  };
  CLI11_PARSE(app, argc, argv);
  for (const auto& command : commands) {
    if (command.subcommand->parsed()) return command.run();
  }
  return 1;
}
