/**
 * API tokens (access control). The secret is returned once, by the request that creates it;
 * the server keeps only its SHA-256 hash and the first characters (`prefix`) for recognising it.
 */
import { Type, type Static } from 'typebox';
import { Envelope, Id, ListEnvelope, Nullable } from './common.js';

/** In increasing order of what they may do: read, write, manage tokens. */
export const TOKEN_ROLES = ['viewer', 'editor', 'admin'] as const;
export const TokenRole = Type.Union(
  [Type.Literal('viewer'), Type.Literal('editor'), Type.Literal('admin')],
  {
    description: 'viewer: GET/HEAD on /api; editor: every other method too; admin: tokens as well',
  },
);
export type TokenRole = (typeof TOKEN_ROLES)[number];

export const TOKEN_NAME_MAX_LENGTH = 100;

export const ApiToken = Type.Object(
  {
    id: Id,
    name: Type.String(),
    role: TokenRole,
    prefix: Type.String({ description: 'The first 8 characters of the secret' }),
    created_at: Type.String({ format: 'date-time' }),
    last_used_at: Nullable(
      Type.String({ format: 'date-time', description: 'Recorded at most once a minute' }),
    ),
    revoked_at: Nullable(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);
export type ApiToken = Static<typeof ApiToken>;

export const CreatedApiToken = Type.Object(
  {
    ...ApiToken.properties,
    secret: Type.String({
      description: 'The token, shown this once: send it as `Authorization: Bearer <secret>`',
    }),
  },
  { additionalProperties: false },
);
export type CreatedApiToken = Static<typeof CreatedApiToken>;

export const CreateTokenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: TOKEN_NAME_MAX_LENGTH }),
    role: TokenRole,
  },
  { additionalProperties: false },
);
export type CreateTokenBody = Static<typeof CreateTokenBody>;

export const TokenIdParams = Type.Object(
  { id: Type.Integer({ ...Id, description: 'The token id' }) },
  { additionalProperties: false },
);

export const TokenListMetadata = Type.Object(
  {
    total_tokens: Type.Integer({ minimum: 0 }),
    active_tokens: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

export const TokenListResponse = ListEnvelope(ApiToken, TokenListMetadata);
export const TokenResponse = Envelope(ApiToken);
export const CreatedTokenResponse = Envelope(CreatedApiToken);
