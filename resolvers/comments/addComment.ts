/** `Mutation.addComment(input)`: also notifies the post's author. */
import { AppError, type AppSyncEvent } from '../_shared/appsync.js';
import { comments, nextSeq, notify, posts, toComment, users, type Comment } from '../_shared/store.js';

export async function handler(event: AppSyncEvent<{ input: { postId: string; authorId?: string; body: string } }>) {
  const { postId, body } = event.arguments.input;
  const authorId = event.arguments.input.authorId ?? event.identity?.sub;
  if (!authorId) throw new AppError('ValidationError', 'authorId is required when not signed in');
  if (body.trim().length === 0) throw new AppError('ValidationError', 'body must not be empty');
  const [post, author] = await Promise.all([posts.get({ id: postId }), users.get({ id: authorId })]);
  if (!post) throw new AppError('NotFoundError', `no post ${postId}`);
  if (!author) throw new AppError('NotFoundError', `no user ${authorId}`);
  const seq = await nextSeq('comments');
  const comment: Comment = { id: `c${seq}`, seq, postId, authorId, body, createdAt: new Date().toISOString() };
  await comments.put(comment, { ifNotExists: true });
  await notify(post.item.authorId, `New comment on ${postId}`);
  return toComment(comment);
}
