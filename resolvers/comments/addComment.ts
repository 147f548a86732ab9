/**
 * `Mutation.addComment(input)`: also notifies the post's author. The author
 * is the caller when signed in (who may not comment as anyone else), else
 * `input.authorId`. Body 1–10,000 characters.
 */
import { AppError, type AppSyncEvent } from '../_shared/appsync.js';
import { actingUser } from '../_shared/caller.js';
import { checkId, checkText, LIMITS } from '../_shared/input.js';
import { comments, nextSeq, notify, posts, toComment, users, type Comment } from '../_shared/store.js';

export async function handler(event: AppSyncEvent<{ input: { postId: string; authorId?: string; body: string } }>) {
  const input = event.arguments?.input ?? {};
  const postId = checkId(input.postId, 'postId');
  const authorId = actingUser(event, input.authorId, 'authorId', 'comment as');
  const body = checkText(input.body, 'body', LIMITS.textChars);
  const [post, author] = await Promise.all([posts.get({ id: postId }), users.get({ id: authorId })]);
  if (!post) throw new AppError('NotFoundError', `no post ${postId}`);
  if (!author) throw new AppError('NotFoundError', `no user ${authorId}`);
  const seq = await nextSeq('comments');
  const comment: Comment = { id: `c${seq}`, seq, postId, authorId, body, createdAt: new Date().toISOString() };
  await comments.put(comment, { ifNotExists: true });
  await notify(post.item.authorId, `New comment on ${postId}`);
  return toComment(comment);
}
