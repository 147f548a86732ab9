import { ResourceNotFoundError } from '../errors/index.js';

/** No dead letter has this id (HTTP 404, Lambda's `ResourceNotFoundException`). */
export class DeadLetterNotFoundError extends ResourceNotFoundError {}
