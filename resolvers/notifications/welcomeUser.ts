/**
 * A `user-events` subscriber (push, fan-out): welcomes a new user. The
 * notification id is derived from the user, so a redelivered message writes it once.
 */
import { notify } from '../_shared/store.js';

interface SnsEvent {
  Records: Array<{ Sns: { MessageId: string; Message: string } }>;
}

export async function handler(event: SnsEvent) {
  for (const record of event.Records) {
    const message = JSON.parse(record.Sns.Message) as { type: string; userId: string; name?: string };
    if (message.type !== 'UserCreated') continue;
    await notify(message.userId, `Welcome to neolith, ${message.name ?? message.userId}!`, `n-welcome-${message.userId}`);
  }
}
