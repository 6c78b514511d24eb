/**
 * Create a category: name, level, and a parent picked among the categories one level up.
 * Errors the server ties to a field (422 `field_errors`, or a 409 duplicate sibling name with
 * `details.field`) appear next to that field; anything else is a toast.
 */
import { useId, useMemo, useRef, useState, type FormEvent } from 'react';
import { useMutation } from '@tanstack/react-query';
import { CATEGORY_NAME_MAX_LENGTH, type Category } from '@tag-manager/contract';
import { api } from '../../api/client';
import { Dialog } from '../../components/Dialog';
import type { CategoryIndex } from '../../lib/category-index';
import { useErrorHandler, type FieldErrorMap } from '../../lib/error-handler';
import { characterCount, pasteWhole, tooLongMessage } from '../../lib/length-limit';

const FIELDS = ['name', 'level', 'parent_id'] as const;

interface CreateCategoryDialogProps {
  index: CategoryIndex;
  defaultParentId?: number | null;
  onClose: () => void;
  onCreated: (category: Category) => void;
}

export function CreateCategoryDialog({
  index,
  defaultParentId = null,
  onClose,
  onCreated,
}: CreateCategoryDialogProps) {
  const formId = useId();
  const nameRef = useRef<HTMLInputElement>(null);
  const defaultParent = defaultParentId !== null ? index.byId.get(defaultParentId) : undefined;
  const [name, setName] = useState('');
  const [level, setLevel] = useState<number>(
    defaultParent ? Math.min(defaultParent.level + 1, 3) : 1,
  );
  const [parentId, setParentId] = useState<number | null>(defaultParent?.id ?? null);
  const [errors, setErrors] = useState<FieldErrorMap>({});
  const handleError = useErrorHandler();

  const parents = useMemo(
    () =>
      index.ordered
        .filter((node) => node.level === level - 1)
        .sort((a, b) => a.path.localeCompare(b.path)),
    [index, level],
  );

  const create = useMutation({
    mutationFn: () =>
      api.createCategory(
        level === 1
          ? { name: name.trim(), level }
          : { name: name.trim(), level, parent_id: parentId },
      ),
    onSuccess: ({ data }) => onCreated(data),
    onError: (error) =>
      handleError(error, {
        action: 'Could not create the category',
        topic: 'category.create',
        fields: FIELDS,
        onFieldErrors: (fieldErrors) => {
          setErrors(fieldErrors);
          const first = FIELDS.find((field) => fieldErrors[field]);
          document.getElementById(`${formId}-${first}`)?.focus();
        },
      }),
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const local: FieldErrorMap = {};
    if (!name.trim()) local.name = 'Enter a name';
    const tooLong = tooLongMessage('A name', name, CATEGORY_NAME_MAX_LENGTH);
    if (tooLong) local.name = tooLong;
    if (level > 1 && parentId === null) local.parent_id = `Choose a level ${level - 1} parent`;
    setErrors(local);
    if (Object.keys(local).length > 0) {
      document.getElementById(`${formId}-${Object.keys(local)[0]}`)?.focus();
      return;
    }
    create.mutate();
  };

  const nameLength = characterCount(name.trim());
  const nearLimit = nameLength > CATEGORY_NAME_MAX_LENGTH - 20;

  /** A name past the limit is kept whole and flagged at once, never cut. */
  const changeName = (value: string) => {
    setName(value);
    const tooLong = tooLongMessage('A name', value, CATEGORY_NAME_MAX_LENGTH);
    setErrors(({ name: _removed, ...rest }) => (tooLong ? { ...rest, name: tooLong } : rest));
  };

  const describedBy = (field: string, hint?: string) =>
    [errors[field] ? `${formId}-${field}-error` : '', hint ?? ''].filter(Boolean).join(' ') ||
    undefined;

  return (
    <Dialog
      title="New category"
      onClose={onClose}
      initialFocus={nameRef}
      size="small"
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button
            type="submit"
            form={formId}
            className="button button-primary"
            disabled={create.isPending}
          >
            {create.isPending ? 'Creating…' : 'Create category'}
          </button>
        </>
      }
    >
      <form id={formId} className="form" onSubmit={submit} noValidate>
        <div className={`field${errors.name ? ' has-error' : ''}`}>
          <label htmlFor={`${formId}-name`}>Name</label>
          <input
            ref={nameRef}
            id={`${formId}-name`}
            name="name"
            value={name}
            maxLength={CATEGORY_NAME_MAX_LENGTH}
            autoComplete="off"
            aria-invalid={errors.name ? true : undefined}
            aria-describedby={describedBy('name', nearLimit ? `${formId}-name-count` : undefined)}
            onPaste={(event) => pasteWhole(event, CATEGORY_NAME_MAX_LENGTH, changeName)}
            onChange={(event) => changeName(event.target.value)}
          />
          {nearLimit && (
            <p id={`${formId}-name-count`} className="field-hint">
              {nameLength} / {CATEGORY_NAME_MAX_LENGTH} characters
            </p>
          )}
          {errors.name && (
            <p id={`${formId}-name-error`} className="field-error" data-testid="name-error">
              {errors.name}
            </p>
          )}
        </div>
        <fieldset
          className={`field${errors.level ? ' has-error' : ''}`}
          aria-describedby={describedBy('level')}
        >
          <legend>Level</legend>
          <div className="segmented" id={`${formId}-level`} tabIndex={-1}>
            {[1, 2, 3].map((option) => (
              <label
                key={option}
                className={`segment level-${option}${level === option ? ' on' : ''}`}
              >
                <input
                  type="radio"
                  name="level"
                  value={option}
                  checked={level === option}
                  onChange={() => {
                    setLevel(option);
                    if (index.byId.get(parentId ?? -1)?.level !== option - 1) setParentId(null);
                    setErrors(({ level: _l, parent_id: _p, ...rest }) => rest);
                  }}
                />
                Level {option}
              </label>
            ))}
          </div>
          {errors.level && (
            <p id={`${formId}-level-error`} className="field-error">
              {errors.level}
            </p>
          )}
        </fieldset>
        <div className={`field${errors.parent_id ? ' has-error' : ''}`}>
          <label htmlFor={`${formId}-parent_id`}>
            Parent{level > 1 ? ` (level ${level - 1})` : ''}
          </label>
          <select
            id={`${formId}-parent_id`}
            name="parent_id"
            value={parentId ?? ''}
            disabled={level === 1}
            aria-invalid={errors.parent_id ? true : undefined}
            aria-describedby={describedBy('parent_id', `${formId}-parent-hint`)}
            onChange={(event) => {
              setParentId(event.target.value ? Number(event.target.value) : null);
              setErrors(({ parent_id: _removed, ...rest }) => rest);
            }}
          >
            <option value="">
              {level === 1 ? 'None: level 1 is the top' : `Choose a level ${level - 1} category…`}
            </option>
            {parents.map((node) => (
              <option key={node.id} value={node.id}>
                {node.path}
              </option>
            ))}
          </select>
          <p id={`${formId}-parent-hint`} className="field-hint">
            {level === 1
              ? 'Level 1 categories have no parent.'
              : `Only level ${level - 1} categories can be parents of level ${level}.`}
          </p>
          {errors.parent_id && (
            <p id={`${formId}-parent_id-error`} className="field-error">
              {errors.parent_id}
            </p>
          )}
        </div>
      </form>
    </Dialog>
  );
}
