//! Reading the log: filters, newest first, paging, rights and bad input; entries are written in
//! the mutation's transaction (a refused mutation leaves none) and carry the request id.
