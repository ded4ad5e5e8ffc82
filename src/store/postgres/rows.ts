import { columnReaders } from '../columns.ts'

/** Typed reads of result columns (see ../columns.ts). */
export const { text, textOrNull, int, intOrNull, real } = columnReaders('postgres')
