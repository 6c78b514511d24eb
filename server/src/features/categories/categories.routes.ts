import {
  CategoryDetailResponse,
  CategoryIdParams,
  CategoryListQuery,
  CategoryListResponse,
  CategoryResponse,
  CategoryTreeResponse,
  CreateCategoryBody,
  MergeCategoryBody,
  MoveCategoryBody,
  RenameCategoryBody,
  RestructureResponse,
} from '@tag-manager/contract';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { writeContext } from '../../http/context.js';
import { ReadDependencies } from '../../cache/namespaces.js';
import { cachedReply } from '../../http/cached.js';
import { cachedCountsReply, structureRead } from './cached-counts.js';
import { envelope, listEnvelope } from '../../http/envelope.js';
import { IfMatchHeaders, preconditionOf, strongEtag } from '../../http/preconditions.js';

const tags = ['categories'];

const categoryRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const categories = app.services.categories;
  /** Every category read depends on the same namespaces; `cache` and `params` tell them apart. */
  const categoryRead = (cache: string, params: unknown) => ({
    cache,
    dependsOn: ReadDependencies.categories,
    params,
  });
  /** Lists and the tree are cached without counts; each answer reads them (cached-counts.ts). */
  const productCounts = (ids: number[]) => categories.productCounts(ids);
  /** If-Match on one category compares with GET /api/categories/{id}. */
  const categoryPrecondition = (request: FastifyRequest, id: number) =>
    preconditionOf(request, 'category', id, (transaction) => categories.get(id, transaction));

  app.get(
    '/api/categories',
    {
      schema: {
        operationId: 'listCategories',
        tags,
        summary: 'All categories, flat, with paths, child and product counts',
        querystring: CategoryListQuery,
        response: { 200: CategoryListResponse },
      },
    },
    async (request, reply) => {
      return cachedCountsReply(
        request,
        reply,
        structureRead('categories', request.query),
        async (stamp) => {
          const listing = await categories.list(request.query);
          return listEnvelope(stamp, listing.categories, listing.metadata);
        },
        productCounts,
      );
    },
  );

  app.get(
    '/api/categories/tree',
    {
      schema: {
        operationId: 'getCategoryTree',
        tags,
        summary: 'The whole three-level tree in one call',
        response: { 200: CategoryTreeResponse },
      },
    },
    async (request, reply) => {
      return cachedCountsReply(
        request,
        reply,
        structureRead('category-tree', null),
        async (stamp) => {
          const result = await categories.tree();
          return listEnvelope(stamp, result.tree, result.metadata);
        },
        productCounts,
      );
    },
  );

  app.get(
    '/api/categories/level1',
    {
      schema: {
        operationId: 'listTopLevelCategories',
        tags,
        summary: 'Level 1 categories (lazy tree loading)',
        response: { 200: CategoryListResponse },
      },
    },
    async (request, reply) => {
      return cachedCountsReply(
        request,
        reply,
        structureRead('category-children', null),
        async (stamp) => {
          const listing = await categories.children(null);
          return listEnvelope(stamp, listing.categories, listing.metadata);
        },
        productCounts,
      );
    },
  );

  app.get(
    '/api/categories/:id/children',
    {
      schema: {
        operationId: 'listCategoryChildren',
        tags,
        summary: 'Direct children of a category (lazy tree loading)',
        params: CategoryIdParams,
        response: { 200: CategoryListResponse },
      },
    },
    async (request, reply) => {
      const id = request.params.id;
      return cachedCountsReply(
        request,
        reply,
        structureRead('category-children', id),
        async (stamp) => {
          const listing = await categories.children(id);
          return listEnvelope(stamp, listing.categories, listing.metadata);
        },
        productCounts,
      );
    },
  );

  app.get(
    '/api/categories/:id',
    {
      schema: {
        operationId: 'getCategory',
        tags,
        summary: 'One category with its counts and ancestors',
        params: CategoryIdParams,
        response: { 200: CategoryDetailResponse },
      },
    },
    async (request, reply) => {
      const id = request.params.id;
      return cachedReply(
        request,
        reply,
        categoryRead('category', id),
        async (stamp) => envelope(stamp, await categories.get(id)),
        { strongEtag },
      );
    },
  );

  app.post(
    '/api/categories',
    {
      schema: {
        operationId: 'createCategory',
        tags,
        summary: 'Create a category; the level follows from the parent',
        body: CreateCategoryBody,
        response: { 201: CategoryResponse },
      },
    },
    async (request, reply) => {
      const category = await categories.create(request.body, writeContext(request));
      return reply.status(201).send(envelope(request, category));
    },
  );

  app.patch(
    '/api/categories/:id',
    {
      schema: {
        operationId: 'renameCategory',
        tags,
        summary: 'Rename a category (its id and assignments stay)',
        params: CategoryIdParams,
        headers: IfMatchHeaders,
        body: RenameCategoryBody,
        response: { 200: CategoryResponse },
      },
    },
    async (request) =>
      envelope(
        request,
        await categories.rename(
          request.params.id,
          request.body.name,
          writeContext(request),
          categoryPrecondition(request, request.params.id),
        ),
      ),
  );

  app.delete(
    '/api/categories/:id',
    {
      schema: {
        operationId: 'deleteCategory',
        tags,
        summary: 'Delete a category that has no children and no products',
        params: CategoryIdParams,
        headers: IfMatchHeaders,
        response: { 204: Type.Null({ description: 'Deleted' }) },
      },
    },
    async (request, reply) => {
      await categories.delete(
        request.params.id,
        writeContext(request),
        categoryPrecondition(request, request.params.id),
      );
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/categories/:id/move',
    {
      schema: {
        operationId: 'moveCategory',
        tags,
        summary:
          'Move a category (with its children) under another parent of the level above; dry_run previews it',
        description:
          'Levels never change (a fourth level, or moving a level 1, is refused with 422); a sibling name clash answers 409 (a dry run lists it in `clashes`). Every product assigned the moved subtree gets the new ancestors and loses the old ones no other of its categories needs. If-Match compares with GET /api/categories/{id}.',
        params: CategoryIdParams,
        headers: IfMatchHeaders,
        body: MoveCategoryBody,
        response: { 200: RestructureResponse },
      },
    },
    async (request) =>
      envelope(
        request,
        await categories.move(
          request.params.id,
          request.body,
          writeContext(request),
          categoryPrecondition(request, request.params.id),
        ),
      ),
  );

  app.post(
    '/api/categories/:id/merge',
    {
      schema: {
        operationId: 'mergeCategory',
        tags,
        summary: 'Merge a category into another of its level, then delete it; dry_run previews it',
        description:
          "The source's products get the target (its ancestors included); its children move under the target, and a child whose name the target already has is merged into that child, recursively. One change set. If-Match compares with GET /api/categories/{id} of the source.",
        params: CategoryIdParams,
        headers: IfMatchHeaders,
        body: MergeCategoryBody,
        response: { 200: RestructureResponse },
      },
    },
    async (request) =>
      envelope(
        request,
        await categories.merge(
          request.params.id,
          request.body,
          writeContext(request),
          categoryPrecondition(request, request.params.id),
        ),
      ),
  );
};

export default categoryRoutes;
