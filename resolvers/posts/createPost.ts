/**
 * `Mutation.createPost(input)`: the author is the caller when signed in (who
 * may not post as anyone else), else `input.authorId`. Title 1–200
 * characters, body up to 10,000.
 */
import { AppError, type AppSyncEvent } from '../_shared/appsync.js';
import { actingUser } from '../_shared/caller.js';
import { checkText, LIMITS } from '../_shared/input.js';
import { nextSeq, posts, toPost, users, type Post } from '../_shared/store.js';

export async function handler(event: AppSyncEvent<{ input: { authorId?: string; title: string; body: string } }>) {
  const input = event.arguments?.input ?? {};
  const authorId = actingUser(event, input.authorId, 'authorId', 'post as');
  const title = checkText(input.title, 'title', LIMITS.titleChars);
  const body = checkText(input.body, 'body', LIMITS.textChars, { allowEmpty: true });
  if (!(await users.get({ id: authorId }))) throw new AppError('NotFoundError', `no user ${authorId}`);
  const seq = await nextSeq('posts');
  const post: Post = { id: `p${seq}`, seq, authorId, title, body, createdAt: new Date().toISOString() };
  await posts.put(post, { ifNotExists: true });
  return toPost(post);
}
