import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ChangeListQuery, ChangeListResponse } from '@tag-manager/contract';
import { pagedEnvelope } from '../../http/envelope.js';
import { reversibilityOf } from './change-kinds.js';

const changeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/changes',
    {
      schema: {
        operationId: 'listChanges',
        tags: ['changes'],
        summary: 'The change-set log, newest first (who, when, what, before → after)',
        querystring: ChangeListQuery,
        response: { 200: ChangeListResponse },
      },
    },
    async (request) => {
      const { limit, offset } = request.query;
      const page = await app.services.changes.list(limit, offset);
      return pagedEnvelope(
        request,
        page.changes.map((change) => ({
          ...change,
          job_id: null,
          reverts: null,
          reversible: reversibilityOf(change.kind),
        })),
        { total_changes: page.total },
        page.pagination,
      );
    },
  );
};

export default changeRoutes;
