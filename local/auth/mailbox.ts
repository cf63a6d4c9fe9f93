import { randomUUID } from "node:crypto";

export type MailMessage = {
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  links: string[];
  createdAt: string;
};

/** Every email the emulator "sends", in memory, newest first. */
export class Mailbox {
  #messages: MailMessage[] = [];

  constructor(private readonly now: () => number) {}

  deliver(message: Omit<MailMessage, "id" | "createdAt">): MailMessage {
    const delivered = { id: randomUUID(), createdAt: new Date(this.now()).toISOString(), ...message };
    this.#messages.unshift(delivered);
    return delivered;
  }

  list(to?: string): MailMessage[] {
    const address = to?.toLowerCase();
    return this.#messages.filter((message) => !address || message.to === address);
  }

  clear(to?: string): void {
    const address = to?.toLowerCase();
    this.#messages = address ? this.#messages.filter((message) => message.to !== address) : [];
  }
}
