import { columnReaders } from '../columns.ts'
import { rowMappers } from '../row-mappers.ts'

const readers = columnReaders('sqlite')

/** Typed reads of result columns (see ../columns.ts). */
export const { text, textOrNull, int, intOrNull, real } = readers

/** Rows to port objects, the same for every driver (see ../row-mappers.ts). */
export const { groupLinks, toCheckedEndpoint, toDelivery, toTrace, toLease, toProcess } = rowMappers(readers)
