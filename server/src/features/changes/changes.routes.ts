import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ChangeListQuery, ChangeListResponse } from '@tag-manager/contract';
import { pagedEnvelope } from '../../http/envelope.js';
import { listChanges } from './changes.repository.js';

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
      const { rows, total } = await listChanges(app.database.db, limit, offset);
      const page = Math.floor(offset / limit) + 1;
      return pagedEnvelope(
        request,
        rows,
        { total_changes: total },
        {
          page,
          page_size: limit,
          total_items: total,
          total_pages: Math.ceil(total / limit),
          has_next: offset + rows.length < total,
          has_previous: offset > 0,
          next_cursor: null,
        },
      );
    },
  );
};

export default changeRoutes;
