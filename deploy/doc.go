// Package deploy holds the production deployment files that are not at the repository's
// root: the env file template of docker-compose.yml (.env.example) and the MySQL
// initialisation script (mysql/initdb). Its test checks docker-compose.yml, the Dockerfile
// and these files against the binary's configuration, since no Docker engine runs where
// the tests do.
package deploy
