import { createHmac, randomUUID } from "node:crypto";
import type { Delivery } from "./delivery";

/**
 * Webhook deliveries, signed and headed as GitHub sends them. Deliveries go out one at a time
 * in the order the events happened (GitHub does not promise an order; one at a time keeps
 * tests deterministic), are never retried (GitHub does not retry either) and time out after
 * 10 seconds. Each is remembered with its outcome for the control API.
 */

const TIMEOUT_MS = 10_000;
const KEPT_DELIVERIES = 500;

function signPayload(secret: string, body: string): { sha256: string; sha1: string } {
  return {
    sha256: `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`,
    sha1: `sha1=${createHmac("sha1", secret).update(body).digest("hex")}`,
  };
}

export class WebhookSender {
  private readonly deliveries: Delivery[] = [];
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly settings: { appId: number; secret: string; url?: string; hookId: number }) {}

  send(event: string, payload: Record<string, unknown>): Delivery {
    const delivery: Delivery = {
      id: randomUUID(),
      event,
      action: typeof payload.action === "string" ? payload.action : null,
      deliveredAt: null,
      status: this.settings.url ? "pending" : "skipped",
      statusCode: null,
      error: null,
      payload,
    };
    this.deliveries.push(delivery);
    if (this.deliveries.length > KEPT_DELIVERIES) this.deliveries.shift();
    const url = this.settings.url;
    if (url) this.queue = this.queue.then(() => this.deliver(url, delivery));
    return delivery;
  }

  list(): Delivery[] {
    return [...this.deliveries];
  }

  /** Resolves once every delivery queued so far has been attempted. */
  idle(): Promise<void> {
    return this.queue;
  }

  private async deliver(url: string, delivery: Delivery): Promise<void> {
    const body = JSON.stringify(delivery.payload);
    const signature = signPayload(this.settings.secret, body);
    delivery.deliveredAt = new Date().toISOString();
    try {
      const response = await fetch(url, {
        method: "POST",
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(TIMEOUT_MS),
        headers: {
          "content-type": "application/json",
          "user-agent": "GitHub-Hookshot/emulator",
          "x-github-event": delivery.event,
          "x-github-delivery": delivery.id,
          "x-github-hook-id": String(this.settings.hookId),
          "x-github-hook-installation-target-type": "integration",
          "x-github-hook-installation-target-id": String(this.settings.appId),
          "x-hub-signature": signature.sha1,
          "x-hub-signature-256": signature.sha256,
        },
      });
      await response.arrayBuffer();
      delivery.statusCode = response.status;
      delivery.status = response.ok ? "delivered" : "failed";
    } catch (error) {
      delivery.status = "failed";
      delivery.error = error instanceof Error ? error.message : String(error);
    }
  }
}
