/** `Mutation.createPost(input)`: the author is the caller when signed in, else `input.authorId`. */
import { AppError, type AppSyncEvent } from '../_shared/appsync.js';
import { nextSeq, posts, toPost, users, type Post } from '../_shared/store.js';

export async function handler(event: AppSyncEvent<{ input: { authorId?: string; title: string; body: string } }>) {
  const { title, body } = event.arguments.input;
  const authorId = event.arguments.input.authorId ?? event.identity?.sub;
  if (!authorId) throw new AppError('ValidationError', 'authorId is required when not signed in');
  if (title.trim().length === 0) throw new AppError('ValidationError', 'title must not be empty');
  if (!(await users.get({ id: authorId }))) throw new AppError('NotFoundError', `no user ${authorId}`);
  const seq = await nextSeq('posts');
  const post: Post = { id: `p${seq}`, seq, authorId, title, body, createdAt: new Date().toISOString() };
  await posts.put(post, { ifNotExists: true });
  return toPost(post);
}
