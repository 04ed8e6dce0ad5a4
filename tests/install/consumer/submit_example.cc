// Compresses a model on a SeedLM coordinator and downloads the result.
//   submit HOST:PORT MODEL OUT.seedlm [PRESET]
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/lib/compression_client.h"
#include "core/util/status_macros.h"

namespace {

namespace v1 = seedlm::v1;
using seedlm::client::CompressionClient;

absl::Status Run(const std::string& address, const std::string& model,
                 const std::string& out, const std::string& preset) {
  seedlm::client::ClientOptions options;
  options.address = address;  // options.token, .tls_ca_path when required
  ASSIGN_OR_RETURN(std::unique_ptr<CompressionClient> client,
                   CompressionClient::Connect(options));

  // The model's files go to the coordinator; the job names the upload.
  ASSIGN_OR_RETURN(seedlm::client::UploadResult upload,
                   client->UploadModel(model));
  v1::SubmitJobRequest request;
  request.mutable_model()->set_upload_id(upload.upload_id);
  request.mutable_model()->set_upload_model_path(upload.upload_model_path);
  request.mutable_model()->set_tokenizer_path(upload.tokenizer_path);
  request.mutable_options()->set_preset(preset);  // "" = the default preset
  request.set_display_name(model);
  ASSIGN_OR_RETURN(v1::Job job, client->SubmitJob(request));
  std::fprintf(stderr, "job %s submitted\n", job.id().c_str());

  // Follows the job until it succeeds, fails or is cancelled.
  auto on_update = [](const v1::Job& j) {
    std::fprintf(stderr, "  %s: %lld/%lld blocks\n",
                 seedlm::client::JobStateName(j.state()).c_str(),
                 static_cast<long long>(j.progress().blocks_done()),
                 static_cast<long long>(j.progress().blocks_total()));
  };
  ASSIGN_OR_RETURN(
      job, client->WatchJob(job.id(), on_update, absl::Now() + absl::Hours(2)));
  if (job.state() != v1::JOB_STATE_SUCCEEDED) {
    return absl::UnknownError(absl::StrCat(
        "job ", job.id(), " ended ", seedlm::client::JobStateName(job.state()),
        ": ", job.error()));
  }
  RETURN_IF_ERROR(client->FetchResult(job.id(), out));
  std::printf("wrote %s: %lld bytes, sha256 %s\n", out.c_str(),
              static_cast<long long>(job.result_size_bytes()),
              job.result_sha256().c_str());
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || argc > 5) {
    std::fprintf(stderr, "usage: %s HOST:PORT MODEL OUT.seedlm [PRESET]\n",
                 argv[0]);
    return 2;
  }
  const absl::Status status =
      Run(argv[1], argv[2], argv[3], argc == 5 ? argv[4] : "");
  if (!status.ok()) {
    std::fprintf(stderr, "submit: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
