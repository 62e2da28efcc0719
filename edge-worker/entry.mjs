// The module wrangler runs (wrangler.toml `main`), in dev and in a deploy alike.
//
// worker-build 0.8.7 generates build/index.js: a Proxy around a WorkerEntrypoint class
// whose prototype forwards fetch, queue and scheduled to the Rust handlers. Under
// `wrangler dev` its `scheduled` cannot be reached: `/cdn-cgi/handler/scheduled` answers
// 500 `DataCloneError: Could not serialize object of type "ScheduledController"` (the
// runtime does not see the Proxy as an entrypoint with a scheduled handler). This plain
// WorkerEntrypoint has the three handlers itself and forwards each to the generated
// class, passing `scheduled` the controller's plain fields, so the documented local
// trigger runs the very handler a deployed cron runs.
import { WorkerEntrypoint } from 'cloudflare:workers';
import RustWorker from './build/index.js';

export default class Worker extends WorkerEntrypoint {
  rust() {
    return new RustWorker(this.ctx, this.env);
  }

  fetch(request) {
    return this.rust().fetch(request);
  }

  queue(batch) {
    return this.rust().queue(batch);
  }

  async scheduled(controller) {
    await this.rust().scheduled({
      type: 'scheduled',
      cron: controller.cron,
      scheduledTime: controller.scheduledTime,
      noRetry: () => controller.noRetry(),
    });
  }
}
