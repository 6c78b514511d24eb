import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  ChangeIdParams,
  ChangeListQuery,
  ChangeListResponse,
  UndoJobAcceptedResponse,
  UndoRequest,
  UndoResponse,
} from '@tag-manager/contract';
import { writeContext } from '../../http/context.js';
import { emptyUndoBody, sendUndoOutcome, undoOptionsOf } from './undo-http.js';
import { pagedEnvelope } from '../../http/envelope.js';
import { reversibilityOf } from './change-kinds.js';

const changeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/changes',
    {
      schema: {
        operationId: 'listChanges',
        tags: ['changes'],
        summary:
          'The change-set log, newest first (who, when, what, before → after), filterable by product, category, kind, actor and job',
        querystring: ChangeListQuery,
        response: { 200: ChangeListResponse },
      },
    },
    async (request) => {
      const page = await app.services.changes.list(request.query);
      return pagedEnvelope(
        request,
        page.changes.map((change) => ({ ...change, reversible: reversibilityOf(change.kind) })),
        { total_changes: page.total },
        page.pagination,
      );
    },
  );

  app.post(
    '/api/changes/:id/undo',
    {
      schema: {
        operationId: 'undoChange',
        tags: ['changes'],
        summary:
          'Undo one change set exactly (recorded as a new change set that reverts it; undo that one to redo)',
        description:
          'Reverses exactly what the change set wrote, ancestors and descendants included. An undo of more than BULK_MAX_PRODUCTS products runs as a job (202 with the job; its conflicts are checked first, so `strict` still answers 409 before anything is written); a move or merge (`category.move`, `category.merge`, and the undo of a merge, `category.unmerge`) is undone in one transaction, like the restructure, and a tree changed since (a later change of its categories, the merge target gone, a sibling name taken) answers 409 in both modes with `details.scope: "categories"`. A later change to the same products and categories is a conflict: `strict` (default) answers 409 with `details.conflicts`, `skip_conflicts` undoes the rest and lists them in `skipped`. A change set already undone, or of a kind that cannot be undone (`reversible: "none"`), answers 409 with `details.reason`.',
        params: ChangeIdParams,
        body: UndoRequest,
        response: { 200: UndoResponse, 202: UndoJobAcceptedResponse },
      },
      preValidation: emptyUndoBody,
    },
    async (request, reply) =>
      sendUndoOutcome(
        request,
        reply,
        await app.services.undo.undo(
          request.params.id,
          undoOptionsOf(request.body),
          writeContext(request),
        ),
      ),
  );
};

export default changeRoutes;
