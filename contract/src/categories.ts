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
