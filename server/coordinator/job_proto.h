// The seedlm.v1 (compression.proto) form of the coordinator's views, shared
// by the gRPC CompressionService and the HTTP JSON API (http_api.h), so a
// job, worker or progress sample has one shape on both.
// Pure conversions; thread-safe.
#ifndef SEEDLM_SERVER_COORDINATOR_JOB_PROTO_H_
#define SEEDLM_SERVER_COORDINATOR_JOB_PROTO_H_

#include <vector>

#include "seedlm/v1/compression.pb.h"
#include "server/coordinator/coordinator.h"
#include "server/coordinator/progress_history.h"

namespace seedlm::coordinator {

v1::JobState StateToProto(JobPhase phase);
v1::Job JobToProto(const JobView& view);
v1::WorkerStatus WorkerToProto(const WorkerView& view);
v1::JobDetail JobDetailToProto(const JobView& view,
                               const std::vector<ProgressPoint>& history);

}  // namespace seedlm::coordinator

#endif  // SEEDLM_SERVER_COORDINATOR_JOB_PROTO_H_
