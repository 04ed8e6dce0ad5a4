// The `seedlm` commands that talk to a coordinator: submit, jobs, watch,
// cancel, delete, fetch (client/lib/compression_client.h underneath).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/cli/commands.h"
#include "client/cli/output.h"
#include "client/cli/output_paths.h"
#include "client/cli/progress_bar.h"
#include "client/cli/service_args.h"
#include "client/lib/compression_client.h"
#include "core/util/file_util.h"
#include "core/util/json_util.h"
#include "core/util/status_macros.h"
#include "proto/rpc/json.h"

namespace seedlm::cli {
namespace {

using client::CompressionClient;
using client::JobStateName;

// How long `submit` and `watch` follow a job, reconnects included.
constexpr absl::Duration kWatchTimeout = absl::Hours(24 * 7);

// What the progress bar names: the tensor being compressed while running
// (the first unfinished one with progress, else the first unfinished),
// otherwise the state.
std::string ProgressLabel(const v1::Job& job) {
  if (job.state() != v1::JOB_STATE_RUNNING) return JobStateName(job.state());
  const v1::TensorProgress* first_open = nullptr;
  for (const v1::TensorProgress& t : job.progress().tensors()) {
    if (t.finished()) continue;
    if (t.blocks_done() > 0) return t.name();
    if (first_open == nullptr) first_open = &t;
  }
  return first_open != nullptr ? first_open->name() : "running";
}

// Follows `job_id` until it ends, with the progress bar or (`json`) one
// line per update on stdout in the JSON API's shape (proto/rpc/json.h: the
// same v1.Job as GET /api/v1/jobs/{id}'s "job"); OK only when it
// SUCCEEDED. FAILED: the job's error; CANCELLED: says so (both exit 1).
absl::StatusOr<v1::Job> Follow(const CompressionClient& client,
                               const std::string& job_id, bool json = false) {
  ProgressBar bar;
  absl::Status print_error;
  absl::StatusOr<v1::Job> job = client.WatchJob(
      job_id,
      [&](const v1::Job& j) {
        if (!json) {
          bar.Update(ProgressLabel(j), j.progress().blocks_done(),
                     j.progress().blocks_total());
          return;
        }
        absl::StatusOr<std::string> line = rpc::ToJson(j);
        if (line.ok()) {
          line->push_back('\n');
          if (absl::Status s = WriteStdout(*line); !s.ok()) print_error = s;
          std::fflush(stdout);
        } else {
          print_error = line.status();
        }
      },
      absl::Now() + kWatchTimeout);
  if (!json) bar.Clear();
  if (!job.ok()) return job.status();
  RETURN_IF_ERROR(print_error);
  if (job->state() == v1::JOB_STATE_FAILED) {
    return absl::UnknownError(
        absl::StrCat("job ", job_id, " failed: ", job->error()));
  }
  if (job->state() == v1::JOB_STATE_CANCELLED) {
    return absl::CancelledError(absl::StrCat("job ", job_id, " was cancelled"));
  }
  return job;
}

absl::Status Fetch(const CompressionClient& client, const std::string& job_id,
                   const std::string& out) {
  RETURN_IF_ERROR(client.FetchResult(job_id, out));
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(out, ec);
  return WriteStdout(absl::StrFormat("wrote %s: %d bytes (sha256 checked)\n",
                                     out, ec ? 0 : size));
}

}  // namespace

absl::Status RunSubmit(int argc, char** argv) {
  ASSIGN_OR_RETURN(SubmitCommand cmd, ParseSubmitArgs(argc, argv));
  // Before any work: OUT must not be an input nor anything but a file.
  RETURN_IF_ERROR(CheckOutputAgainstInputs(
      cmd.out, cmd.server_path ? std::vector<std::string>{}
                               : ModelInputPaths(cmd.model, cmd.tokenizer)));
  if (!cmd.server_path) {  // local problems before dialing
    RETURN_IF_ERROR(client::PlanUpload(cmd.model, cmd.tokenizer).status());
  }
  ASSIGN_OR_RETURN(std::unique_ptr<CompressionClient> client,
                   CompressionClient::Connect(cmd.connection));
  if (!cmd.server_path) {
    std::fprintf(stderr, "seedlm submit: uploading %s to %s\n",
                 cmd.model.c_str(), cmd.connection.address.c_str());
    ASSIGN_OR_RETURN(const client::UploadResult up,
                     client->UploadModel(cmd.model, cmd.tokenizer));
    v1::ModelRef* ref = cmd.request.mutable_model();
    ref->set_upload_id(up.upload_id);
    ref->set_upload_model_path(up.upload_model_path);
    ref->set_tokenizer_path(up.tokenizer_path);
  }
  ASSIGN_OR_RETURN(const v1::Job job, client->SubmitJob(cmd.request));
  std::fprintf(stderr, "seedlm submit: job %s (seedlm watch %s)\n",
               job.id().c_str(), job.id().c_str());
  if (cmd.detach) return WriteStdout(job.id() + "\n");
  RETURN_IF_ERROR(Follow(*client, job.id()).status());
  return Fetch(*client, job.id(), cmd.out);
}

absl::Status RunJobs(int argc, char** argv) {
  ASSIGN_OR_RETURN(const JobCommand cmd, ParseJobCommandArgs(argc, argv));
  ASSIGN_OR_RETURN(std::unique_ptr<CompressionClient> client,
                   CompressionClient::Connect(cmd.connection));
  ASSIGN_OR_RETURN(const std::vector<v1::Job> jobs, client->ListJobs());
  if (cmd.json) {
    Json list = Json::array();
    for (const v1::Job& j : jobs) {
      list.push_back({{"id", j.id()},
                      {"state", JobStateName(j.state())},
                      {"blocks_done", j.progress().blocks_done()},
                      {"blocks_total", j.progress().blocks_total()},
                      {"units_done", j.progress().units_done()},
                      {"units_total", j.progress().units_total()},
                      {"units_leased", j.progress().units_leased()},
                      {"blocks_per_second", j.progress().blocks_per_second()},
                      {"name", j.display_name()},
                      {"error", j.error()},
                      {"result_size_bytes", j.result_size_bytes()},
                      {"result_sha256", j.result_sha256()},
                      {"create_time_seconds", j.create_time_seconds()}});
    }
    return WriteStdout(DumpJson(list, 2) + "\n");
  }
  std::string table = absl::StrFormat("%-32s %-10s %23s  %s\n", "id", "state",
                                      "blocks done/total", "name");
  for (const v1::Job& j : jobs) {
    absl::StrAppend(
        &table, absl::StrFormat("%-32s %-10s %23s  %s\n", j.id(),
                                JobStateName(j.state()),
                                absl::StrCat(j.progress().blocks_done(), "/",
                                             j.progress().blocks_total()),
                                j.display_name()));
  }
  return WriteStdout(table);
}

absl::Status RunWatch(int argc, char** argv) {
  ASSIGN_OR_RETURN(const JobCommand cmd, ParseJobCommandArgs(argc, argv));
  ASSIGN_OR_RETURN(std::unique_ptr<CompressionClient> client,
                   CompressionClient::Connect(cmd.connection));
  ASSIGN_OR_RETURN(const v1::Job job, Follow(*client, cmd.job_id, cmd.json));
  if (cmd.json) return absl::OkStatus();
  return WriteStdout(
      absl::StrFormat("job %s %s\n", job.id(), JobStateName(job.state())));
}

absl::Status RunCancel(int argc, char** argv) {
  ASSIGN_OR_RETURN(const JobCommand cmd, ParseJobCommandArgs(argc, argv));
  ASSIGN_OR_RETURN(std::unique_ptr<CompressionClient> client,
                   CompressionClient::Connect(cmd.connection));
  ASSIGN_OR_RETURN(const v1::Job job, client->CancelJob(cmd.job_id));
  return WriteStdout(
      absl::StrFormat("job %s %s\n", job.id(), JobStateName(job.state())));
}

absl::Status RunDelete(int argc, char** argv) {
  ASSIGN_OR_RETURN(const JobCommand cmd, ParseJobCommandArgs(argc, argv));
  ASSIGN_OR_RETURN(std::unique_ptr<CompressionClient> client,
                   CompressionClient::Connect(cmd.connection));
  RETURN_IF_ERROR(client->DeleteJob(cmd.job_id));
  return WriteStdout(absl::StrFormat("deleted job %s\n", cmd.job_id));
}

absl::Status RunFetch(int argc, char** argv) {
  ASSIGN_OR_RETURN(const JobCommand cmd, ParseJobCommandArgs(argc, argv));
  RETURN_IF_ERROR(CheckOutputPath(cmd.out));  // before dialing
  ASSIGN_OR_RETURN(std::unique_ptr<CompressionClient> client,
                   CompressionClient::Connect(cmd.connection));
  return Fetch(*client, cmd.job_id, cmd.out);
}

}  // namespace seedlm::cli
