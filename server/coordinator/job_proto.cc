// Coordinator views as seedlm.v1 messages (job_proto.h).
#include "server/coordinator/job_proto.h"

#include "proto/rpc/convert.h"

namespace seedlm::coordinator {

v1::JobState StateToProto(JobPhase phase) {
  switch (phase) {
    case JobPhase::kQueued:
      return v1::JOB_STATE_QUEUED;
    case JobPhase::kRunning:
      return v1::JOB_STATE_RUNNING;
    case JobPhase::kAssembling:
      return v1::JOB_STATE_ASSEMBLING;
    case JobPhase::kSucceeded:
      return v1::JOB_STATE_SUCCEEDED;
    case JobPhase::kFailed:
      return v1::JOB_STATE_FAILED;
    case JobPhase::kCancelled:
      return v1::JOB_STATE_CANCELLED;
  }
  return v1::JOB_STATE_UNSPECIFIED;
}

v1::Job JobToProto(const JobView& view) {
  v1::Job j;
  const JobRecord& r = view.record;
  j.set_id(r.id);
  j.set_state(StateToProto(r.phase));
  j.set_error(r.error);
  j.set_display_name(r.display_name);
  v1::ModelRef* m = j.mutable_model();
  if (!view.spec.server_path.empty()) {
    m->set_server_path(view.spec.server_path);
  } else {
    m->set_upload_id(view.spec.upload_id);
    m->set_upload_model_path(view.spec.upload_model_path);
  }
  m->set_tokenizer_path(view.spec.tokenizer_path);
  v1::CompressionOptions* o = j.mutable_options();
  o->set_preset(view.spec.preset);
  o->set_exponent_mode(rpc::ToProto(view.spec.mode));
  if (view.spec.bias_policy == BiasPolicy::kFixed) {
    o->set_exponent_bias(view.spec.bias);
  }
  o->set_exponent_bias_auto(view.spec.bias_policy == BiasPolicy::kAuto);
  for (const std::string& p : view.spec.include) o->add_include(p);
  for (const std::string& p : view.spec.exclude) o->add_exclude(p);
  j.set_input_sha256(r.input_sha256);
  v1::JobProgress* p = j.mutable_progress();
  p->set_blocks_done(view.blocks_done);
  p->set_blocks_total(view.blocks_total);
  p->set_blocks_per_second(view.blocks_per_second);
  p->set_eta_seconds(view.eta_seconds);
  p->set_units_done(view.units_done);
  p->set_units_total(view.units_total);
  p->set_units_leased(view.units_leased);
  for (const TensorView& t : view.tensors) {
    v1::TensorProgress* tp = p->add_tensors();
    tp->set_name(t.name);
    tp->set_blocks_done(t.blocks_done);
    tp->set_blocks_total(t.blocks_total);
    tp->set_finished(t.finished);
    tp->set_relative_error(t.rel_error);
    tp->set_exponent_bias(t.bias.value_or(0));
  }
  j.set_result_size_bytes(r.result_size);
  j.set_result_sha256(r.result_sha256);
  j.set_create_time_seconds(r.create_time);
  j.set_update_time_seconds(r.update_time);
  j.set_owner(r.owner);
  return j;
}

v1::WorkerStatus WorkerToProto(const WorkerView& view) {
  v1::WorkerStatus w;
  w.set_id(view.id);
  w.set_name(view.name);
  w.set_threads(view.threads);
  w.set_last_seen_time_seconds(
      absl::ToDoubleSeconds(view.last_seen - absl::UnixEpoch()));
  w.set_blocks_searched(view.blocks);
  w.set_units_done(view.units_done);
  w.set_results_rejected(view.rejected);
  w.set_leases_held(view.leases);
  w.set_blocks_per_second(view.blocks_per_second);
  return w;
}

v1::JobDetail JobDetailToProto(const JobView& view,
                               const std::vector<ProgressPoint>& history) {
  v1::JobDetail d;
  *d.mutable_job() = JobToProto(view);
  for (const ProgressPoint& p : history) {
    v1::ProgressSample* s = d.add_history();
    s->set_time_seconds(absl::ToDoubleSeconds(p.time - absl::UnixEpoch()));
    s->set_blocks_done(p.blocks_done);
    s->set_blocks_per_second(p.blocks_per_second);
  }
  return d;
}

}  // namespace seedlm::coordinator
