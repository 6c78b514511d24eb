import { Type, type Static } from 'typebox';
import { Envelope, Id, ListEnvelope, Nullable } from './common.js';

/**
 * The one maximum length of a category name (characters, after trimming): the API schema, the
 * service rule, the category import, the database CHECK and the web app's inputs all use it.
 */
export const CATEGORY_NAME_MAX_LENGTH = 100;
export const CategoryLevel = Type.Integer({ minimum: 1, maximum: 3 });

/** The short form of a category, used inside products. */
export const CategoryRef = Type.Object(
  { id: Id, name: Type.String(), level: CategoryLevel },
  { additionalProperties: false },
);
export type CategoryRef = Static<typeof CategoryRef>;

/** A category with its place in the tree: `path` is the names from level 1 down, joined by " > ". */
export const CategoryWithPath = Type.Object(
  {
    id: Id,
    name: Type.String(),
    level: CategoryLevel,
    parent_id: Nullable(Id),
    path: Type.String(),
    path_ids: Type.Array(Id),
  },
  { additionalProperties: false },
);
export type CategoryWithPath = Static<typeof CategoryWithPath>;

export const Category = Type.Object(
  {
    id: Id,
    name: Type.String(),
    level: CategoryLevel,
    parent_id: Nullable(Id),
    path: Type.String(),
    path_ids: Type.Array(Id),
    has_children: Type.Boolean(),
    child_count: Type.Integer({ minimum: 0 }),
    product_count: Type.Integer({ minimum: 0 }),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type Category = Static<typeof Category>;

export const CategoryDetail = Type.Object(
  { ...Category.properties, ancestors: Type.Array(CategoryRef) },
  { additionalProperties: false },
);
export type CategoryDetail = Static<typeof CategoryDetail>;

export const LevelCounts = Type.Object(
  {
    level_1: Type.Integer({ minimum: 0 }),
    level_2: Type.Integer({ minimum: 0 }),
    level_3: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type LevelCounts = Static<typeof LevelCounts>;

export const CategoryListMetadata = Type.Object(
  { total_categories: Type.Integer({ minimum: 0 }), level_counts: LevelCounts },
  { additionalProperties: false },
);

export const CategoryListQuery = Type.Object(
  {
    level: Type.Optional(Type.Integer({ minimum: 1, maximum: 3, description: 'Only this level' })),
    parent_id: Type.Optional(
      Type.Integer({ ...Id, description: 'Only the direct children of this category' }),
    ),
    search: Type.Optional(
      Type.String({
        maxLength: CATEGORY_NAME_MAX_LENGTH,
        description: 'Case-insensitive match on the name',
      }),
    ),
  },
  { additionalProperties: false },
);
export type CategoryListQuery = Static<typeof CategoryListQuery>;

const treeNodeFields = {
  id: Id,
  name: Type.String(),
  level: CategoryLevel,
  parent_id: Nullable(Id),
  product_count: Type.Integer({ minimum: 0 }),
};
export const TreeNodeLevel3 = Type.Object(
  { ...treeNodeFields, children: Type.Array(Type.Never()) },
  { additionalProperties: false },
);
export const TreeNodeLevel2 = Type.Object(
  { ...treeNodeFields, children: Type.Array(TreeNodeLevel3) },
  { additionalProperties: false },
);
export const TreeNode = Type.Object(
  { ...treeNodeFields, children: Type.Array(TreeNodeLevel2) },
  { additionalProperties: false },
);
export type TreeNode = Static<typeof TreeNode>;
export type TreeNodeLevel2 = Static<typeof TreeNodeLevel2>;
export type TreeNodeLevel3 = Static<typeof TreeNodeLevel3>;

export const CategoryIdParams = Type.Object(
  { id: Type.Integer({ ...Id, description: 'The category id' }) },
  { additionalProperties: false },
);

export const CreateCategoryBody = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: CATEGORY_NAME_MAX_LENGTH,
      description: `The name: 1–${CATEGORY_NAME_MAX_LENGTH} characters, no control characters; surrounding spaces are removed and inner runs of spaces become one`,
    }),
    level: Type.Optional(CategoryLevel),
    parent_id: Type.Optional(Nullable(Id)),
  },
  { additionalProperties: false },
);
export type CreateCategoryBody = Static<typeof CreateCategoryBody>;

export const RenameCategoryBody = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: CATEGORY_NAME_MAX_LENGTH,
      description: `The new name: 1–${CATEGORY_NAME_MAX_LENGTH} characters, no control characters; surrounding spaces are removed and inner runs of spaces become one`,
    }),
  },
  { additionalProperties: false },
);
export type RenameCategoryBody = Static<typeof RenameCategoryBody>;

export const CategoryResponse = Envelope(Category);
export const CategoryDetailResponse = Envelope(CategoryDetail);
export const CategoryListResponse = ListEnvelope(Category, CategoryListMetadata);
export const CategoryTreeResponse = ListEnvelope(TreeNode, CategoryListMetadata);

const DryRun = Type.Optional(
  Type.Boolean({
    description:
      'true: answer the preview (exactly what the write would do, computed by doing it and rolling it back) and write nothing; default false',
  }),
);

/** POST /api/categories/{id}/move: a new parent one level up; the category keeps its level. */
export const MoveCategoryBody = Type.Object(
  {
    parent_id: Type.Integer({
      ...Id,
      description:
        'The new parent: a level 1 category for a level 2, a level 2 category for a level 3 (levels never change)',
    }),
    dry_run: DryRun,
  },
  { additionalProperties: false },
);
export type MoveCategoryBody = Static<typeof MoveCategoryBody>;

/** POST /api/categories/{id}/merge: the source becomes the target, then is deleted. */
export const MergeCategoryBody = Type.Object(
  {
    into_id: Type.Integer({
      ...Id,
      description: 'The category that absorbs this one: another category of the same level',
    }),
    dry_run: DryRun,
  },
  { additionalProperties: false },
);
export type MergeCategoryBody = Static<typeof MergeCategoryBody>;

/** A category and how many products gained or lost it. */
export const RestructuredAncestor = Type.Object(
  {
    id: Id,
    name: Type.String(),
    level: CategoryLevel,
    path: Type.String(),
    products: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type RestructuredAncestor = Static<typeof RestructuredAncestor>;

/** A category that changed place (moved with its parent, or merged into a same-named one). */
export const RestructuredCategory = Type.Object(
  {
    id: Id,
    name: Type.String(),
    level: CategoryLevel,
    from_path: Type.String(),
    to_path: Type.String({
      description: 'Its path afterwards; for a merged category, the path of the one it merged into',
    }),
    merged_into_id: Nullable(Id),
  },
  { additionalProperties: false },
);
export type RestructuredCategory = Static<typeof RestructuredCategory>;

/** A sibling name that blocks a move: the category already there under the new parent. */
export const SiblingClash = Type.Object(
  {
    category_id: Id,
    name: Type.String(),
    parent_id: Id,
    existing_id: Id,
    existing_name: Type.String(),
    existing_path: Type.String(),
  },
  { additionalProperties: false },
);
export type SiblingClash = Static<typeof SiblingClash>;

export const RestructureResult = Type.Object(
  {
    operation: Type.Union([Type.Literal('move'), Type.Literal('merge')]),
    dry_run: Type.Boolean(),
    change_set_id: Nullable(
      Type.Integer({
        minimum: 1,
        description: 'The change set recorded (null for a dry run or when nothing changed)',
      }),
    ),
    category_id: Id,
    target_id: Id,
    from_path: Type.String({ description: "The category's path before" }),
    to_path: Type.String({
      description: "Its path after a move; the target's path for a merge",
    }),
    products_affected: Type.Integer({
      minimum: 0,
      description: 'Products assigned the category (or anything below it)',
    }),
    ancestors_added: Type.Array(RestructuredAncestor, {
      description: 'Categories added to products (a merge counts the target here too)',
    }),
    ancestors_removed: Type.Array(RestructuredAncestor, {
      description: 'Old ancestors removed from products that no other assigned category needs',
    }),
    sample_products: Type.Array(
      Type.Object(
        { product_id: Type.String(), product_name: Type.String() },
        { additionalProperties: false },
      ),
      { maxItems: 10, description: 'Up to 10 affected products' },
    ),
    categories: Type.Array(RestructuredCategory, {
      description:
        'Every category whose path changes (the moved one and its children; a merge: children moved or merged)',
    }),
    categories_deleted: Type.Array(Id, {
      description: 'Merge: the source and every child merged into a same-named one',
    }),
    clashes: Type.Array(SiblingClash, {
      description:
        'Move: sibling names that block it (a dry run lists them; the move itself answers 409)',
    }),
  },
  { additionalProperties: false },
);
export type RestructureResult = Static<typeof RestructureResult>;
export const RestructureResponse = Envelope(RestructureResult);
